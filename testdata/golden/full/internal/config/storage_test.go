package config

import (
	"strings"
	"testing"
)

// The STORAGE_* limits are checked at start, and no type that can run
// script in a browser may be allowed.
func TestLoadStorage(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, ""},
		{map[string]string{"STORAGE_ALLOWED_TYPES": "image/png,text/plain"}, ""},
		{map[string]string{"STORAGE_ALLOWED_TYPES": "text/html"}, `"text/html" can run script`},
		{map[string]string{"STORAGE_ALLOWED_TYPES": "image/png,image/svg+xml"}, `"image/svg+xml" can run script`},
		{map[string]string{"STORAGE_ALLOWED_TYPES": "application/javascript"}, `"application/javascript" can run script`},
		{map[string]string{"STORAGE_ALLOWED_TYPES": "png"}, `"png" is not a media type`},
		{map[string]string{"STORAGE_ALLOWED_TYPES": "image/png; q=1"}, `is not a media type`},
		{map[string]string{"STORAGE_ALLOWED_TYPES": ","}, "STORAGE_ALLOWED_TYPES"},
		{map[string]string{"STORAGE_URL_TTL": "16m"}, "STORAGE_URL_TTL: 16m0s must be positive and at most 15m"},
		{map[string]string{"STORAGE_URL_TTL": "0s"}, "STORAGE_URL_TTL"},
		{map[string]string{"STORAGE_MAX_FILE_BYTES": "0"}, "STORAGE_MAX_FILE_BYTES: 0 must be positive"},
		{map[string]string{"STORAGE_QUOTA_BYTES": "10"}, "STORAGE_QUOTA_BYTES: 10 must be at least STORAGE_MAX_FILE_BYTES"},
		{map[string]string{"STORAGE_MAX_FILES": "0"}, "STORAGE_MAX_FILES: 0 must be positive"},
	} {
		_, err := Load(envOf(testEnv(tc.env)))
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%v: Load = %v, want %q", tc.env, err, tc.want)
		}
	}
}

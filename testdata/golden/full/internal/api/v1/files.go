package v1

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"example.com/myapp/internal/httpx"
	"example.com/myapp/internal/storage"
)

// File is the JSON form of a stored file. Its storage key is not shown.
type File struct {
	ID          int64     `json:"id" example:"1" doc:"File id"`
	Name        string    `json:"name" example:"photo.png" doc:"The file name the client gave, without any path or control characters"`
	ContentType string    `json:"content_type" example:"image/png" doc:"Media type read from the file's first bytes"`
	Size        int64     `json:"size" example:"1024" doc:"Size in bytes"`
	Status      string    `json:"status" enum:"pending,ready" doc:"pending until a presigned upload is completed"`
	CreatedAt   time.Time `json:"created_at" doc:"Upload time (UTC)"`
}

func toFile(f storage.File) File {
	return File{ID: f.ID, Name: f.Name, ContentType: f.ContentType, Size: f.Size, Status: f.Status, CreatedAt: f.CreatedAt}
}

type fileHandlers struct {
	svc *storage.Service
}

// multipartOverhead is what a multipart envelope may add to the file it
// carries (boundaries, part headers): the request limit is the file limit
// plus this.
const multipartOverhead = 16 << 10

// uploadOp is the upload operation. Its multipart body is read by the
// handler itself, so that the size limit applies before any parsing:
// huma must not see a request body in the operation (it would read it),
// so documentUpload adds it to the document once registered.
func uploadOp(o huma.Operation) huma.Operation {
	o.Errors = append(o.Errors, http.StatusBadRequest, http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType)
	return o
}

// documentUpload describes the upload's body and answer in api's OpenAPI
// document.
func documentUpload(api huma.API) {
	oa := api.OpenAPI()
	item := oa.Paths[Prefix+"/files"]
	if item == nil || item.Post == nil {
		panic("v1: the upload operation is not registered")
	}
	item.Post.RequestBody = &huma.RequestBody{
		Required:    true,
		Description: "A multipart/form-data body with the file in the part named file.",
		Content: map[string]*huma.MediaType{"multipart/form-data": {Schema: &huma.Schema{
			Type:     huma.TypeObject,
			Required: []string{"file"},
			Properties: map[string]*huma.Schema{
				"file": {Type: huma.TypeString, ContentEncoding: "binary", Description: "The file; its type is read from its bytes"},
			},
		}}},
	}
	if item.Post.Responses == nil {
		item.Post.Responses = map[string]*huma.Response{}
	}
	item.Post.Responses["201"] = &huma.Response{
		Description: "The stored file",
		Content:     map[string]*huma.MediaType{"application/json": {Schema: oa.Components.Schemas.Schema(reflect.TypeFor[File](), true, "")}},
	}
}

// upload stores the part named file of a multipart body. The body is read
// as a stream through http.MaxBytesReader (file limit plus the envelope),
// before any multipart parsing; the service then spools at most the file
// limit plus one byte and sniffs the type before the backend sees a byte.
func (h fileHandlers) upload(ctx context.Context, _ *struct{}) (*huma.StreamResponse, error) {
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		r, w := humago.Unwrap(hctx)
		f, err := h.receive(hctx.Context(), w, r)
		if err != nil {
			writeFileError(hctx.Context(), w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Location", Prefix+"/files/"+strconv.FormatInt(f.ID, 10))
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(toFile(f))
	}}, nil
}

func (h fileHandlers) receive(ctx context.Context, w http.ResponseWriter, r *http.Request) (storage.File, error) {
	limit := h.svc.MaxFileBytes() + multipartOverhead
	if r.ContentLength > limit {
		return storage.File{}, &storage.TooLarge{Limit: h.svc.MaxFileBytes()}
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "multipart/form-data" {
		return storage.File{}, &httpx.Problem{Status: http.StatusUnsupportedMediaType,
			Detail: "The request body must be multipart/form-data with the file in a part named file."}
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return storage.File{}, badMultipart(err)
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return storage.File{}, &httpx.Problem{Status: http.StatusBadRequest, Detail: "The body has no part named file."}
		}
		if err != nil {
			return storage.File{}, badMultipart(err)
		}
		if part.FormName() != "file" {
			_ = part.Close()
			continue
		}
		body := &partReader{r: part}
		f, err := h.svc.Upload(ctx, caller(ctx).ID, part.FileName(), body)
		if body.err == nil {
			return f, err
		}
		if e, ok := errors.AsType[*http.MaxBytesError](body.err); ok && e.Limit == limit {
			// The envelope around the file went over: the file did.
			return storage.File{}, &storage.TooLarge{Limit: h.svc.MaxFileBytes()}
		}
		return storage.File{}, badMultipart(body.err) // the client's body, not the service, failed
	}
}

// partReader keeps the error reading the request failed with, to tell
// it from the service's own errors.
type partReader struct {
	r   io.Reader
	err error
}

func (p *partReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if err != nil && !errors.Is(err, io.EOF) {
		p.err = err
	}
	return n, err
}

func badMultipart(err error) error {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return err
	}
	return &httpx.Problem{Status: http.StatusBadRequest, Detail: "The body is not valid multipart/form-data: " + err.Error()}
}

// fileProblem maps the service's errors on problems: 413 for a file over
// the limit, 415 for a type not allowed; others by their apperr code.
func fileProblem(ctx context.Context, err error) error {
	if e, ok := errors.AsType[*storage.TooLarge](err); ok {
		return httpx.TooLargeProblem(e.Limit)
	}
	if e, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return httpx.TooLargeProblem(e.Limit)
	}
	if e, ok := errors.AsType[*storage.UnsupportedType](err); ok {
		return &httpx.Problem{Status: http.StatusUnsupportedMediaType, Detail: e.Error()}
	}
	if p, ok := errors.AsType[*httpx.Problem](err); ok {
		return p
	}
	return httpx.HumaError(ctx, err)
}

func writeFileError(ctx context.Context, w http.ResponseWriter, r *http.Request, err error) {
	p := *fileProblem(ctx, err).(*httpx.Problem)
	if p.Status == http.StatusRequestEntityTooLarge {
		w.Header().Set("Connection", "close") // do not read the rest of the body
	}
	p.Instance = r.URL.Path
	httpx.WriteProblem(w, p)
}

type listFilesInput struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20" doc:"Page size"`
	Cursor string `query:"cursor" maxLength:"32" doc:"Opaque cursor from next_cursor of the previous page"`
}

type listFilesOutput struct {
	Body struct {
		Files      []File `json:"files" doc:"One page of your files, oldest first"`
		NextCursor string `json:"next_cursor,omitempty" doc:"Cursor of the next page; absent on the last page"`
	}
}

func (h fileHandlers) list(ctx context.Context, in *listFilesInput) (*listFilesOutput, error) {
	page, err := h.svc.List(ctx, caller(ctx).ID, in.Cursor, in.Limit)
	if err != nil {
		return nil, fileProblem(ctx, err)
	}
	out := &listFilesOutput{}
	out.Body.Files = make([]File, len(page.Files))
	for i, f := range page.Files {
		out.Body.Files[i] = toFile(f)
	}
	out.Body.NextCursor = page.Next
	return out, nil
}

type fileIDInput struct {
	ID int64 `path:"id" minimum:"1" doc:"File id"`
}

type fileOutput struct {
	Body File
}

func (h fileHandlers) get(ctx context.Context, in *fileIDInput) (*fileOutput, error) {
	f, err := h.svc.Get(ctx, caller(ctx).ID, in.ID)
	if err != nil {
		return nil, fileProblem(ctx, err)
	}
	return &fileOutput{Body: toFile(f)}, nil
}

// download redirects to a presigned GET (S3, R2) or streams the bytes
// (local disk), as an attachment of the stored, sniffed type with nosniff:
// a browser never renders an upload in the API's origin.
func (h fileHandlers) download(ctx context.Context, in *fileIDInput) (*huma.StreamResponse, error) {
	f, err := h.svc.Get(ctx, caller(ctx).ID, in.ID)
	if err != nil {
		return nil, fileProblem(ctx, err)
	}
	d, err := h.svc.Download(ctx, f)
	if err != nil {
		return nil, fileProblem(ctx, err)
	}
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		_, w := humago.Unwrap(hctx)
		w.Header().Set("Cache-Control", "private, no-store")
		if d.URL != "" {
			w.Header().Set("Location", d.URL)
			w.WriteHeader(http.StatusFound)
			return
		}
		defer d.Body.Close()
		w.Header().Set("Content-Type", f.ContentType)
		w.Header().Set("Content-Length", strconv.FormatInt(f.Size, 10))
		w.Header().Set("Content-Disposition", storage.ContentDisposition(f.Name))
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
		w.WriteHeader(http.StatusOK)
		if _, err := io.Copy(w, d.Body); err != nil {
			httpx.Logger(hctx.Context()).WarnContext(hctx.Context(), "file download cut short", "file_id", f.ID, "error", err.Error())
		}
	}}, nil
}

func downloadOp(o huma.Operation) huma.Operation {
	o.Responses = map[string]*huma.Response{
		"200": {Description: "The file's bytes, as an attachment (local disk)", Content: map[string]*huma.MediaType{"application/octet-stream": {}}},
		"302": {Description: "A redirect to a presigned download URL (S3, R2)", Headers: map[string]*huma.Param{"Location": {Schema: &huma.Schema{Type: huma.TypeString}}}},
	}
	o.Errors = append(o.Errors, http.StatusNotFound, http.StatusConflict)
	return o
}

type presignInput struct {
	Body struct {
		Name        string `json:"name" minLength:"1" maxLength:"1024" example:"photo.png" doc:"File name, kept as metadata only"`
		ContentType string `json:"content_type" minLength:"1" maxLength:"127" example:"image/png" doc:"Media type of the file; its first bytes must match it at completion"`
		Size        int64  `json:"size" minimum:"1" example:"1024" doc:"Exact size in bytes"`
	}
}

type presignOutput struct {
	Body struct {
		File      File              `json:"file" doc:"The reserved file, pending until completed"`
		Method    string            `json:"method" example:"PUT" doc:"Method of the upload request"`
		URL       string            `json:"url" doc:"Presigned upload URL"`
		Headers   map[string]string `json:"headers" doc:"Headers the upload must send exactly (they are signed)"`
		ExpiresAt time.Time         `json:"expires_at" doc:"When the URL stops working (UTC)"`
	}
}

// presign reserves a file and returns a presigned PUT for it, bound to
// the declared type and size; POST /files/{id}/complete then checks what
// was uploaded.
func (h fileHandlers) presign(ctx context.Context, in *presignInput) (*presignOutput, error) {
	now := time.Now().UTC()
	f, req, err := h.svc.Presign(ctx, caller(ctx).ID, in.Body.Name, in.Body.ContentType, in.Body.Size)
	if err != nil {
		return nil, fileProblem(ctx, err)
	}
	out := &presignOutput{}
	out.Body.File, out.Body.Method, out.Body.URL = toFile(f), req.Method, req.URL
	out.Body.Headers = map[string]string{}
	for k := range req.Header {
		if k != "Host" {
			out.Body.Headers[k] = req.Header.Get(k)
		}
	}
	out.Body.ExpiresAt = now.Add(h.svc.URLTTL()).Truncate(time.Second)
	return out, nil
}

func (h fileHandlers) complete(ctx context.Context, in *fileIDInput) (*fileOutput, error) {
	f, err := h.svc.Complete(ctx, caller(ctx).ID, in.ID)
	if err != nil {
		return nil, fileProblem(ctx, err)
	}
	return &fileOutput{Body: toFile(f)}, nil
}

func (h fileHandlers) delete(ctx context.Context, in *fileIDInput) (*struct{}, error) {
	if err := h.svc.Delete(ctx, caller(ctx).ID, in.ID); err != nil {
		return nil, fileProblem(ctx, err)
	}
	return nil, nil
}

package v1

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"example.com/myapp/internal/apperr"
	"example.com/myapp/internal/httpx"
	"example.com/myapp/internal/items"
)

// Item is the JSON form of an item.
type Item struct {
	ID          int64     `json:"id" example:"1" doc:"Item id"`
	Name        string    `json:"name" example:"Notebook" doc:"Item name"`
	Description string    `json:"description" example:"A5, dotted" doc:"Free-form description"`
	CreatedAt   time.Time `json:"created_at" doc:"Creation time (UTC)"`
	UpdatedAt   time.Time `json:"updated_at" doc:"Time of the last change (UTC)"`
}

func toItem(it items.Item) Item {
	return Item(it)
}

type itemHandlers struct {
	store items.Store
}

type listInput struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20" doc:"Page size"`
	Cursor string `query:"cursor" maxLength:"64" doc:"Opaque cursor from next_cursor of the previous page"`
}

type listOutput struct {
	Body struct {
		Items      []Item `json:"items" doc:"Items in creation order"`
		NextCursor string `json:"next_cursor,omitempty" doc:"Cursor of the next page; absent on the last page"`
	}
}

func (h itemHandlers) list(ctx context.Context, in *listInput) (*listOutput, error) {
	page, err := h.store.List(ctx, in.Cursor, in.Limit)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	out := &listOutput{}
	out.Body.Items = make([]Item, len(page.Items))
	for i, it := range page.Items {
		out.Body.Items[i] = toItem(it)
	}
	out.Body.NextCursor = page.Next
	return out, nil
}

type idInput struct {
	ID int64 `path:"id" minimum:"1" doc:"Item id"`
}

type itemOutput struct {
	Body Item
}

type createdOutput struct {
	Location string `header:"Location" doc:"Path of the new item"`
	Body     Item
}

type createInput struct {
	Body struct {
		Name        string `json:"name" minLength:"1" maxLength:"200" doc:"Item name"`
		Description string `json:"description,omitempty" maxLength:"2000" doc:"Free-form description"`
	}
}

func (h itemHandlers) create(ctx context.Context, in *createInput) (*createdOutput, error) {
	it, err := h.store.Create(ctx, items.New{Name: in.Body.Name, Description: in.Body.Description})
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	return &createdOutput{Location: Prefix + "/items/" + strconv.FormatInt(it.ID, 10), Body: toItem(it)}, nil
}

func (h itemHandlers) get(ctx context.Context, in *idInput) (*itemOutput, error) {
	it, err := h.store.Get(ctx, in.ID)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	return &itemOutput{Body: toItem(it)}, nil
}

// patchField is a field of a PATCH body. encoding/json leaves a pointer
// nil both when a field is absent and when it is null; patchField tells
// absent, null and a value apart, so that null is never silently ignored.
type patchField struct {
	Set   bool // the field was in the body
	Null  bool // it was null
	Value string
}

// UnmarshalJSON implements json.Unmarshaler; it runs only for fields
// present in the body.
func (f *patchField) UnmarshalJSON(b []byte) error {
	f.Set = true
	if string(b) == "null" {
		f.Null = true
		return nil
	}
	return json.Unmarshal(b, &f.Value)
}

// Schema implements huma.SchemaProvider: a string or null; field tags add
// the limits (nullable:"false" documents that null is refused).
func (patchField) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: huma.TypeString, Nullable: true}
}

// ptr is the Patch value of f: nil when absent.
func (f patchField) ptr() *string {
	if !f.Set {
		return nil
	}
	return &f.Value
}

type updateInput struct {
	ID   int64 `path:"id" minimum:"1" doc:"Item id"`
	Body struct {
		Name        patchField `json:"name,omitempty" minLength:"1" maxLength:"200" nullable:"false" doc:"New name; null is refused"`
		Description patchField `json:"description,omitempty" maxLength:"2000" doc:"New description; null clears it"`
	}
}

// update applies the fields present in the body; an empty body changes
// nothing, not even updated_at.
func (h itemHandlers) update(ctx context.Context, in *updateInput) (*itemOutput, error) {
	if in.Body.Name.Null {
		return nil, httpx.HumaError(ctx, apperr.Field("name", "must not be null; leave it out to keep the name"))
	}
	it, err := h.store.Update(ctx, in.ID, items.Patch{Name: in.Body.Name.ptr(), Description: in.Body.Description.ptr()})
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	return &itemOutput{Body: toItem(it)}, nil
}

func (h itemHandlers) delete(ctx context.Context, in *idInput) (*struct{}, error) {
	if err := h.store.Delete(ctx, in.ID); err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	return nil, nil
}

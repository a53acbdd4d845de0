package v1

import (
	"context"

	"github.com/danielgtaylor/huma/v2"

	"example.com/myapp/internal/httpx"
	"example.com/myapp/internal/users"
	"example.com/myapp/internal/ws"
)

// wsHandlers serve the JSON side of the WebSockets.
type wsHandlers struct{ hub *ws.Hub }

// TicketOutput is a ticket for GET /api/v1/ws?ticket=.
type TicketOutput struct {
	Body struct {
		Ticket    string `json:"ticket" doc:"Pass as ?ticket= to GET /api/v1/ws; it works once"`
		ExpiresIn int    `json:"expires_in" example:"60" doc:"Seconds the ticket stays valid"`
	}
}

func (h wsHandlers) ticket(ctx context.Context, _ *struct{}) (*TicketOutput, error) {
	u, _ := users.FromContext(ctx)
	ticket, ttl, err := h.hub.MintTicket(ctx, u.ID)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	out := &TicketOutput{}
	out.Body.Ticket, out.Body.ExpiresIn = ticket, int(ttl.Seconds())
	return out, nil
}

// PresenceInput names the channel.
type PresenceInput struct {
	Channel string `query:"channel" required:"true" maxLength:"128" example:"room:lobby" doc:"broadcast, user:<id> or room:<name>"`
}

// PresenceOutput lists a channel's users.
type PresenceOutput struct {
	Body struct {
		Channel string  `json:"channel"`
		Users   []int64 `json:"users" doc:"Ids of the users subscribed on any instance, sorted"`
	}
}

func (h wsHandlers) presence(ctx context.Context, in *PresenceInput) (*PresenceOutput, error) {
	if !ws.ValidChannel(in.Channel) {
		return nil, huma.Error422UnprocessableEntity("channel must be broadcast, user:<id> or room:<name>",
			&huma.ErrorDetail{Location: "query.channel", Message: "not a channel name", Value: in.Channel})
	}
	u, _ := users.FromContext(ctx)
	if !h.hub.Access(u, in.Channel).Subscribe {
		return nil, huma.Error403Forbidden("You may not see this channel.")
	}
	ids, err := h.hub.Presence(ctx, in.Channel)
	if err != nil {
		return nil, httpx.HumaError(ctx, err)
	}
	out := &PresenceOutput{}
	out.Body.Channel, out.Body.Users = in.Channel, ids
	return out, nil
}

// StatusOutput is this instance's WebSocket status.
type StatusOutput struct{ Body ws.Status }

func (h wsHandlers) status(_ context.Context, _ *struct{}) (*StatusOutput, error) {
	return &StatusOutput{Body: h.hub.Status()}, nil
}

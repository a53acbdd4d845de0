package ws

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"example.com/myapp/internal/apperr"
)

// TicketStore keeps WebSocket tickets until they are used or expire. It
// only ever sees a ticket's SHA-256, never the ticket.
type TicketStore interface {
	// Put stores the ticket hash for userID, for ttl.
	Put(ctx context.Context, hash string, userID int64, ttl time.Duration) error
	// Take returns the user of the ticket hash and deletes it, atomically:
	// a ticket works once. ok is false for an unknown, used or expired
	// ticket.
	Take(ctx context.Context, hash string) (userID int64, ok bool, err error)
}

// MintTicket returns a new single-use ticket for the user, valid for the
// configured TTL (at most 60 s), and that TTL.
func (h *Hub) MintTicket(ctx context.Context, userID int64) (string, time.Duration, error) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	ticket := base64.RawURLEncoding.EncodeToString(b[:])
	if err := h.tickets.Put(ctx, hashTicket(ticket), userID, h.cfg.TicketTTL); err != nil {
		return "", 0, err
	}
	return ticket, h.cfg.TicketTTL, nil
}

// Redeem spends a ticket and returns its user; an unknown, used or
// expired ticket is an apperr.Unauthorized error.
func (h *Hub) Redeem(ctx context.Context, ticket string) (int64, error) {
	if len(ticket) != 43 { // 32 bytes, base64url without padding
		return 0, apperr.Errorf(apperr.Unauthorized, "malformed ticket")
	}
	id, ok, err := h.tickets.Take(ctx, hashTicket(ticket))
	if err != nil {
		return 0, apperr.Errorf(apperr.Unavailable, "tickets: %v", err)
	}
	if !ok {
		return 0, apperr.Errorf(apperr.Unauthorized, "unknown, used or expired ticket")
	}
	return id, nil
}

func hashTicket(ticket string) string {
	sum := sha256.Sum256([]byte(ticket))
	return hex.EncodeToString(sum[:])
}

// MemoryTickets keeps tickets in this process: a ticket works only on the
// instance that minted it.
type MemoryTickets struct {
	mu      sync.Mutex
	tickets map[string]memoryTicket
}

type memoryTicket struct {
	userID  int64
	expires time.Time
}

// maxMemoryTickets bounds the unexpired tickets kept; minting beyond is
// refused until some are used or expire.
const maxMemoryTickets = 100_000

// NewMemoryTickets returns an empty in-process ticket store.
func NewMemoryTickets() *MemoryTickets {
	return &MemoryTickets{tickets: map[string]memoryTicket{}}
}

// Put stores a ticket hash.
func (m *MemoryTickets) Put(_ context.Context, hash string, userID int64, ttl time.Duration) error {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.tickets) >= maxMemoryTickets {
		for k, t := range m.tickets {
			if now.After(t.expires) {
				delete(m.tickets, k)
			}
		}
		if len(m.tickets) >= maxMemoryTickets {
			return errors.New("too many unused tickets")
		}
	}
	m.tickets[hash] = memoryTicket{userID: userID, expires: now.Add(ttl)}
	return nil
}

// Take spends a ticket hash.
func (m *MemoryTickets) Take(_ context.Context, hash string) (int64, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tickets[hash]
	delete(m.tickets, hash)
	if !ok || time.Now().After(t.expires) {
		return 0, false, nil
	}
	return t.userID, true, nil
}

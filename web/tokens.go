package web

import (
	"context"
	"sync"
	"time"

	"markd/store"
)

// tokenTTL is how long a checked API token is taken without asking the
// store again. The cash-desk program sends one request per item; a store
// read per request would add to every verdict. A token removed with
// `markd token remove` stops working within this time.
const tokenTTL = 5 * time.Second

type tokenEntry struct {
	name  string
	until time.Time
}

// tokenCache remembers valid API tokens (by their SHA-256, as the store
// keeps them) for tokenTTL. Unknown tokens are not remembered.
type tokenCache struct {
	store *store.DB
	now   func() time.Time
	ttl   time.Duration
	mu    sync.Mutex
	m     map[string]tokenEntry
}

func (c *tokenCache) name(ctx context.Context, token string) (string, error) {
	key := tokenKey(token)
	now := c.now()
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok && now.Before(e.until) {
		return e.name, nil
	}
	name, err := c.store.TokenName(ctx, token)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 64 { // a handful of programs per counter
		clear(c.m)
	}
	c.m[key] = tokenEntry{name: name, until: now.Add(c.ttl)}
	return name, nil
}

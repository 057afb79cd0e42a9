package access

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
)

// DefaultCacheLimit is how many policies (distinct sets of Roles) and how
// many Controllers' policies an Evaluator keeps by default.
const DefaultCacheLimit = 256

// Option configures an Evaluator.
type Option func(*options)

type options struct {
	cacheLimit int
}

// WithCacheLimit bounds the Evaluator's caches to n policies (distinct
// sets of Roles) and n Controllers; a full cache is emptied and refilled
// as Controllers send messages. n ≤ 0 keeps DefaultCacheLimit.
func WithCacheLimit(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.cacheLimit = n
		}
	}
}

// Evaluator gives each Controller its effective rights over a Model, from
// the model's own ControllerTrust Roles and Controller rows. It compiles
// each Role once, caches the result per set of Roles and per Controller,
// and listens to the model: any change under
// Device.LocalAgent.ControllerTrust. or Device.LocalAgent.Controller. is
// seen by the next For after the write commits. It is safe for concurrent
// use.
type Evaluator struct {
	m      *datamodel.Model
	idx    *schemaIndex
	limit  int
	trustP *path.Path
	ctrlP  *path.Path
	deny   *policy

	trust  snapshot[trustData]
	ctrls  snapshot[controllers]
	build  sync.Mutex // one reader of the model at a time
	closed atomic.Bool
	stop   func()
	once   sync.Once
}

// New returns an Evaluator over m, whose schema must hold TR-181's
// Device.LocalAgent.ControllerTrust. and Device.LocalAgent.Controller.{i}.
// It registers a listener on m; Close removes it.
func New(m *datamodel.Model, opts ...Option) (*Evaluator, error) {
	o := options{cacheLimit: DefaultCacheLimit}
	for _, opt := range opts {
		opt(&o)
	}
	idx, err := newSchemaIndex(m.Schema())
	if err != nil {
		return nil, err
	}
	trustP, err := path.Parse(trustPath)
	if err != nil {
		return nil, err
	}
	ctrlP, err := path.Parse(controllerPath)
	if err != nil {
		return nil, err
	}
	e := &Evaluator{m: m, idx: idx, limit: o.cacheLimit, trustP: trustP, ctrlP: ctrlP, deny: denyAll(idx)}
	e.stop = m.Listen(e.onEvent)
	return e, nil
}

// Close stops listening to the model. It is safe to call more than once.
// For still works afterwards, reading the trust data afresh every time.
func (e *Evaluator) Close() error {
	e.once.Do(func() {
		e.closed.Store(true)
		e.stop()
	})
	return nil
}

// onEvent drops the cached trust data or Controller table when an event
// touches them. It runs in the committing goroutine before the commit
// returns, so the next For sees the change.
func (e *Evaluator) onEvent(ev datamodel.Event) {
	switch {
	case strings.HasPrefix(ev.Path, trustPath):
		e.trust.invalidate()
	case strings.HasPrefix(ev.Path, controllerPath):
		e.ctrls.invalidate()
	}
}

// For returns the rights of the Controller whose Endpoint ID is
// controllerEndpointID, for one message: the union of the enabled Roles in
// AssignedRole and InheritedRole of its Device.LocalAgent.Controller.{i}
// row or, when it has no row, of the Roles in UntrustedRole. A Controller
// whose row is disabled, or whose Roles include the BannedRole, gets no
// right at all; so does every Controller when the trust data cannot be
// read. Search Targets are resolved now, against the live model.
//
// For may read the model: call it outside any transaction and outside the
// model's read callbacks (filters, providers, hooks). A model listener may
// call it; but when one commit changes the trust data and also raises
// other events, a listener asking about an event delivered before the
// trust change's own event may still get the earlier rights.
func (e *Evaluator) For(ctx context.Context, controllerEndpointID string) *Set {
	pol := e.policyFor(ctx, controllerEndpointID)
	if len(pol.searches) == 0 {
		return pol.shared
	}
	return resolveSearches(ctx, e.m, pol)
}

func (e *Evaluator) policyFor(ctx context.Context, eid string) *policy {
	t, err := e.trust.get(&e.build, e.closed.Load(), func() (*trustData, error) {
		return readTrust(ctx, e.m, e.idx, e.trustP)
	})
	if err != nil {
		return e.deny
	}
	cs, err := e.ctrls.get(&e.build, e.closed.Load(), func() (*controllers, error) {
		return readControllers(ctx, e.m, e.idx, e.ctrlP)
	})
	if err != nil {
		return e.deny
	}
	cs.mu.Lock()
	c, ok := cs.cache[eid]
	cs.mu.Unlock()
	if ok && c.trust == t {
		return c.pol
	}
	pol := e.deny
	refs := t.untrusted
	row, known := cs.rows[eid]
	if known {
		refs = row.roles
	}
	if !known || row.enable {
		if p, banned := t.policy(e.idx, refs, e.limit); !banned {
			pol = p
		}
	}
	cs.mu.Lock()
	if len(cs.cache) >= e.limit {
		clear(cs.cache)
	}
	cs.cache[eid] = cachedPolicy{trust: t, pol: pol}
	cs.mu.Unlock()
	return pol
}

// snapshot caches a value read from the model until invalidated.
type snapshot[T any] struct {
	gen atomic.Uint64
	cur atomic.Pointer[versioned[T]]
}

type versioned[T any] struct {
	gen uint64
	v   *T
}

// invalidate makes the next get read the model again.
func (s *snapshot[T]) invalidate() { s.gen.Add(1) }

// get returns the cached value, or reads it with read while holding mu.
// A value read while an invalidation happens is used once and read again
// next time; with uncached set (the Evaluator is closed) nothing is kept.
func (s *snapshot[T]) get(mu *sync.Mutex, uncached bool, read func() (*T, error)) (*T, error) {
	if c := s.cur.Load(); c != nil && !uncached && c.gen == s.gen.Load() {
		return c.v, nil
	}
	mu.Lock()
	defer mu.Unlock()
	g := s.gen.Load()
	if c := s.cur.Load(); c != nil && !uncached && c.gen == g {
		return c.v, nil
	}
	v, err := read()
	if err != nil {
		return nil, err
	}
	if !uncached {
		s.cur.Store(&versioned[T]{gen: g, v: v})
	}
	return v, nil
}

package coap

import "context"

type peerKey struct{}

// WithPeer returns ctx naming the Endpoint ID a Send means to reach. The
// client side keeps one session per (address, peer) and asks
// PSK.PeerKey for that peer's key, so the key follows the destination's
// identity: a port that another endpoint reuses never inherits a key.
func WithPeer(ctx context.Context, endpointID string) context.Context {
	return context.WithValue(ctx, peerKey{}, endpointID)
}

// PeerFrom returns the Endpoint ID WithPeer put in ctx, or "".
func PeerFrom(ctx context.Context) string {
	s, _ := ctx.Value(peerKey{}).(string)
	return s
}

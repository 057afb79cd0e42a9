package coap_test

import (
	"context"
	"fmt"

	"github.com/uspmesh/uspmesh/coap"
)

// Two endpoints on loopback: the Controller posts a Record to the Agent,
// whose handler queues it; the answer goes back as a new POST to the
// request's reply-to URI.
func Example() {
	ctx := context.Background()
	key := func(string) ([]byte, error) { return []byte("mesh secret 0123"), nil }

	agentIn := make(chan coap.Inbound, 1)
	agentCfg := coap.TestConfig()
	agentCfg.PSK = &coap.PSK{Identity: "proto::agent", Key: key}
	agent, err := coap.Listen(ctx, agentCfg, func(_ context.Context, in coap.Inbound) error {
		agentIn <- in // decode and queue; never block here
		return nil
	})
	if err != nil {
		panic(err)
	}
	defer agent.Close()

	ctrlIn := make(chan coap.Inbound, 1)
	ctrlCfg := coap.TestConfig()
	ctrlCfg.Role = coap.Controller
	ctrlCfg.PSK = &coap.PSK{Identity: "proto::controller", Key: key}
	ctrl, err := coap.Listen(ctx, ctrlCfg, func(_ context.Context, in coap.Inbound) error {
		ctrlIn <- in
		return nil
	})
	if err != nil {
		panic(err)
	}
	defer ctrl.Close()

	if err := ctrl.Send(ctx, agent.URL(), []byte("Get request")); err != nil {
		panic(err)
	}
	req := <-agentIn
	fmt.Printf("agent got %q from %s\n", req.Record, req.Peer)
	if err := agent.Send(ctx, req.ReplyTo, []byte("GetResp")); err != nil {
		panic(err)
	}
	resp := <-ctrlIn
	fmt.Printf("controller got %q from %s\n", resp.Record, resp.Peer)
	// Output:
	// agent got "Get request" from proto::controller
	// controller got "GetResp" from proto::agent
}

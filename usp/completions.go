package usp

import (
	"sync"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
)

// Completions routes the OperationComplete notifications a Controller
// receives to the asynchronous commands waiting for them, by Agent and
// command key. The zero value is ready to use; it is safe for concurrent
// use.
type Completions struct {
	mu      sync.Mutex
	waiting map[string]chan *uspmsg.Notify_OperationComplete
}

// Wait registers the command of key sent to agent, before the Operate
// that sends it; the channel receives its OperationComplete once. Call
// done when no longer waiting.
func (c *Completions) Wait(agent EndpointID, key string) (ch <-chan *uspmsg.Notify_OperationComplete, done func()) {
	w := make(chan *uspmsg.Notify_OperationComplete, 1)
	k := string(agent) + "/" + key
	c.mu.Lock()
	if c.waiting == nil {
		c.waiting = map[string]chan *uspmsg.Notify_OperationComplete{}
	}
	c.waiting[k] = w
	c.mu.Unlock()
	return w, func() {
		c.mu.Lock()
		delete(c.waiting, k)
		c.mu.Unlock()
	}
}

// Deliver hands oc, received from agent, to its waiter, if any. A
// duplicate (a notification sent again for want of its NotifyResp) is
// dropped: the first counts.
func (c *Completions) Deliver(agent EndpointID, oc *uspmsg.Notify_OperationComplete) {
	c.mu.Lock()
	w := c.waiting[string(agent)+"/"+oc.GetCommandKey()]
	c.mu.Unlock()
	if w != nil {
		select {
		case w <- oc:
		default:
		}
	}
}

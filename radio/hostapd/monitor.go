package hostapd

import (
	"context"
	"fmt"
	"time"
)

// Monitor is an attached control socket: it receives hostapd's events.
type Monitor struct {
	c *Conn
}

// Attach opens a control socket for iface in dir and sends ATTACH.
func Attach(ctx context.Context, dir, iface string) (*Monitor, error) {
	c, err := Dial(ctx, dir, iface)
	if err != nil {
		return nil, err
	}
	if err := c.okCommand(ctx, "ATTACH"); err != nil {
		c.Close()
		return nil, err
	}
	return &Monitor{c: c}, nil
}

// Next returns the next event; it blocks until one arrives, ctx ends or
// the monitor is closed. Messages that are not events are skipped.
func (m *Monitor) Next(ctx context.Context) (Event, error) {
	if err := m.c.c.SetReadDeadline(time.Time{}); err != nil {
		return Event{}, fmt.Errorf("hostapd: monitor: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { m.c.c.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	buf := make([]byte, 4096)
	for {
		n, err := m.c.c.Read(buf)
		if err != nil {
			return Event{}, fmt.Errorf("hostapd: monitor: %w", ctxErr(ctx, err))
		}
		ev, err := ParseEvent(buf[:n])
		if err != nil {
			continue
		}
		return ev, nil
	}
}

// Close detaches and closes the socket; it is safe to call more than once.
func (m *Monitor) Close() error {
	return m.c.Close()
}

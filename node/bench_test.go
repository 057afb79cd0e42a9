package node

import (
	"context"
	"testing"
	"time"
)

// BenchmarkCloseWithRunningCommand measures Close of a node whose Agent
// runs a one-hour ScheduleTimer: the time SIGTERM takes to end meshd,
// less the process exit.
func BenchmarkCloseWithRunningCommand(b *testing.B) {
	var total time.Duration
	for range b.N {
		b.StopTimer()
		n := startNode(b, baseConfig(b), Deps{})
		c := dialNode(b, n, testCtl, testPSK)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		if _, err := c.client.Operate(ctx, c.agent, "Device.ScheduleTimer()", "k", map[string]string{"DelaySeconds": "3600"}); err != nil {
			b.Fatal(err)
		}
		cancel()
		b.StartTimer()
		start := time.Now()
		if err := n.Close(); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms/close")
}

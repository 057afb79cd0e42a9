package mqtt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho"

	"github.com/uspmesh/uspmesh/lograte"
)

// maxPacketHeadroom is what the CONNECT Maximum Packet Size allows above
// MaxPayload for the topic and properties of a PUBLISH.
const maxPacketHeadroom = 64 << 10

// lostGrace bounds the wait for paho's report of why a session ended,
// which arrives just after the session's Done channel closes.
const lostGrace = time.Second

// Client is one MQTT 5.0 client session kept up with a broker. Its methods
// are safe for concurrent use.
type Client struct {
	cfg    Config
	log    *slog.Logger
	ctx    context.Context // the Client's lifetime; cancelled by Close
	cancel context.CancelFunc
	done   chan struct{}    // closed when run returns
	drops  *lograte.Limiter // dropped inbound PUBLISHes, logged once a minute per reason
	rand   func() float64

	sent, recv, msgsIn, msgsOut, dropped atomic.Uint64

	mu       sync.Mutex
	closed   bool
	status   Status
	cur      *paho.Client  // nil unless connected and subscribed
	session  Session       // valid while cur != nil
	up       chan struct{} // closed while cur != nil
	connects uint64
	lastErr  error
	clientID string
}

// Stats are a Client's counters since Dial.
type Stats struct {
	// Connects counts sessions that came up (connected and subscribed).
	Connects uint64
	// LastError is the latest failed attempt or lost session (nil if none).
	LastError error
	// BytesSent and BytesReceived count TCP payload bytes (TLS records
	// included) on every connection so far.
	BytesSent, BytesReceived uint64
	// MessagesSent counts Publish calls the broker acknowledged.
	MessagesSent uint64
	// MessagesReceived counts inbound PUBLISH packets; Dropped those of
	// them not handed to the Handler.
	MessagesReceived, Dropped uint64
}

// Dial checks cfg, returning an error wrapping ErrInvalidConfig or
// ErrUnsupportedVersion if it cannot be used, and otherwise starts
// connecting to the broker in the background and returns at once; use
// WaitUp to wait for the session. ctx bounds the Client's life: cancelling
// it stops the Client as Close does (Close must still be called to wait).
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cctx, cancel := context.WithCancel(ctx)
	c := &Client{
		cfg:      cfg,
		log:      cfg.Logger,
		ctx:      cctx,
		cancel:   cancel,
		done:     make(chan struct{}),
		drops:    lograte.New(cfg.Logger, nil, 0),
		rand:     rand.Float64,
		status:   StatusConnecting,
		up:       make(chan struct{}),
		clientID: cfg.ClientID,
	}
	go c.run()
	return c, nil
}

// Publish sends payload (one USP Record) to topic with the USP Content
// Type and, when not empty, responseTopic as the Response Topic property
// (the sender's "reply to" topic, R-MQTT.23). With QoS 1 or 2 it waits for
// the broker's acknowledgement, bounded by ctx and Config.ConnectTimeout.
// While the Client has no session the error wraps ErrNotConnected.
func (c *Client) Publish(ctx context.Context, topic string, payload []byte, responseTopic string) error {
	return c.publish(ctx, topic, payload, responseTopic, c.cfg.QoS)
}

// PublishQoS is Publish at QoS qos (0, 1 or 2) instead of Config.QoS,
// without a Response Topic: for messages whose sender chose their QoS,
// such as a bulk data profile's reports (MQTT.PublishQoS).
func (c *Client) PublishQoS(ctx context.Context, topic string, payload []byte, qos byte) error {
	if qos > 2 {
		return fmt.Errorf("mqtt: publish to %q: QoS %d: want 0, 1 or 2", topic, qos)
	}
	return c.publish(ctx, topic, payload, "", qos)
}

func (c *Client) publish(ctx context.Context, topic string, payload []byte, responseTopic string, qos byte) error {
	if err := ValidTopicName(topic); err != nil {
		return fmt.Errorf("mqtt: publish: %w", err)
	}
	if responseTopic != "" {
		if err := ValidTopicName(responseTopic); err != nil {
			return fmt.Errorf("mqtt: publish: response %w", err)
		}
	}
	c.mu.Lock()
	pc, closed := c.cur, c.closed
	c.mu.Unlock()
	if closed {
		return fmt.Errorf("mqtt: publish to %q: %w", topic, ErrClosed)
	}
	if pc == nil {
		return fmt.Errorf("mqtt: publish to %q: %w", topic, ErrNotConnected)
	}
	_, err := pc.Publish(ctx, &paho.Publish{
		QoS:     qos,
		Topic:   topic,
		Payload: payload,
		Properties: &paho.PublishProperties{
			ContentType:   ContentType,
			ResponseTopic: responseTopic,
		},
	})
	if err != nil {
		c.mu.Lock()
		gone := c.cur != pc
		c.mu.Unlock()
		if gone {
			return fmt.Errorf("mqtt: publish to %q: %w: %w", topic, ErrNotConnected, err)
		}
		return fmt.Errorf("mqtt: publish to %q: %w", topic, err)
	}
	c.msgsOut.Add(1)
	return nil
}

// WaitUp returns nil once the Client is connected and subscribed (at once
// if it is), ctx's error if ctx ends first, and ErrClosed after Close.
func (c *Client) WaitUp(ctx context.Context) error {
	c.mu.Lock()
	up, closed := c.up, c.closed
	c.mu.Unlock()
	if closed {
		return ErrClosed
	}
	select {
	case <-up:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return ErrClosed
	}
}

// Status is the TR-181 Device.MQTT.Client.{i}.Status of the Client.
func (c *Client) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// Session is the current session's CONNACK information; ok is false while
// the Client is not connected.
func (c *Client) Session() (s Session, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.session, c.cur != nil
}

// Stats returns the Client's counters.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	s := Stats{Connects: c.connects, LastError: c.lastErr}
	c.mu.Unlock()
	s.BytesSent, s.BytesReceived = c.sent.Load(), c.recv.Load()
	s.MessagesSent, s.MessagesReceived, s.Dropped = c.msgsOut.Load(), c.msgsIn.Load(), c.dropped.Load()
	return s
}

// Close sends DISCONNECT if connected (R-MQTT.35), stops reconnecting and
// waits for the Client's goroutines. It is idempotent. It must not be
// called from Handler or OnUp, which it waits for.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	<-c.done
	return nil
}

// run keeps a session up until the Client's context ends.
func (c *Client) run() {
	defer close(c.done)
	defer c.setStatus(StatusDisabled)
	failures, lastKind := 0, ""
	for c.ctx.Err() == nil {
		pc, lost, sess, err := c.connect()
		if err != nil {
			if c.ctx.Err() != nil {
				return
			}
			failures++
			status, kind := classify(err)
			c.failed(status, err)
			wait := c.cfg.Retry.Delay(failures, c.rand())
			level := slog.LevelWarn
			if kind == lastKind {
				level = slog.LevelDebug // one line per streak of alike failures
			}
			lastKind = kind
			c.log.LogAttrs(c.ctx, level, "mqtt: connect failed",
				slog.String("broker", c.cfg.Broker), slog.Int("attempt", failures),
				slog.String("status", string(status)), slog.Duration("retry_in", wait), slog.Any("err", err))
			if !c.sleep(wait) {
				return
			}
			continue
		}
		failures, lastKind = 0, ""
		c.wentUp(pc, sess)
		c.log.LogAttrs(c.ctx, slog.LevelInfo, "mqtt: connected",
			slog.String("broker", c.cfg.Broker), slog.String("client_id", sess.ClientID),
			slog.Any("subscribed", sess.Subscribed), slog.String("response_information", sess.ResponseInformation))
		if c.cfg.OnUp != nil {
			c.cfg.OnUp(c.ctx, sess)
		}
		err = c.watch(pc, lost)
		if err == nil {
			return // closing; watch sent DISCONNECT
		}
		failures = 1
		wait := c.cfg.Retry.Delay(failures, c.rand())
		c.wentDown(err)
		c.log.LogAttrs(c.ctx, slog.LevelWarn, "mqtt: connection lost",
			slog.String("broker", c.cfg.Broker), slog.Duration("retry_in", wait), slog.Any("err", err))
		if !c.sleep(wait) {
			return
		}
	}
}

// watch waits for the session to end: it returns why, or nil after
// sending DISCONNECT when the Client closes.
func (c *Client) watch(pc *paho.Client, lost <-chan error) error {
	select {
	case err := <-lost:
		return err
	case <-pc.Done():
		t := time.NewTimer(lostGrace)
		defer t.Stop()
		select {
		case err := <-lost:
			return err
		case <-t.C:
			return errors.New("mqtt: connection closed")
		}
	case <-c.ctx.Done():
		c.wentDown(nil)
		if err := pc.Disconnect(&paho.Disconnect{ReasonCode: 0}); err != nil {
			c.log.LogAttrs(context.Background(), slog.LevelDebug, "mqtt: DISCONNECT not sent", slog.Any("err", err))
		}
		return nil
	}
}

// connect makes one attempt: dial, CONNECT, SUBSCRIBE.
func (c *Client) connect() (*paho.Client, <-chan error, Session, error) {
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.ConnectTimeout)
	defer cancel()
	conn, err := dial(ctx, &c.cfg, &c.sent, &c.recv)
	if err != nil {
		return nil, nil, Session{}, err
	}
	lost := make(chan error, 1)
	report := func(err error) {
		select {
		case lost <- err:
		default:
		}
	}
	pc := paho.NewClient(paho.ClientConfig{
		Conn:              packets.NewThreadSafeConn(conn),
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){c.onPublish},
		OnClientError:     func(err error) { report(fmt.Errorf("mqtt: connection: %w", err)) },
		OnServerDisconnect: func(d *paho.Disconnect) {
			e := &DisconnectError{Code: d.ReasonCode}
			if d.Properties != nil {
				e.Reason = d.Properties.ReasonString
			}
			report(e)
		},
		PacketTimeout: c.cfg.ConnectTimeout,
	})
	ca, err := pc.Connect(ctx, c.connectPacket())
	if err != nil {
		if ca != nil && ca.ReasonCode >= 0x80 {
			e := &RefusedError{Code: ca.ReasonCode}
			if ca.Properties != nil {
				e.Reason = ca.Properties.ReasonString
			}
			return nil, nil, Session{}, e
		}
		return nil, nil, Session{}, fmt.Errorf("mqtt: CONNECT to %s: %w", c.cfg.Broker, err)
	}
	sess := Session{ClientID: pc.ClientID(), c: c}
	if p := ca.Properties; p != nil {
		sess.AssignedClientID = p.AssignedClientID
		sess.ResponseInformation = p.ResponseInfo
		sess.SubscribeTopics = p.User.GetAll("subscribe-topic")
	}
	sess.Subscribed, err = c.subscribe(ctx, pc, c.filters(sess))
	if err != nil {
		_ = pc.Disconnect(&paho.Disconnect{ReasonCode: 0})
		return nil, nil, Session{}, err
	}
	return pc, lost, sess, nil
}

func (c *Client) connectPacket() *paho.Connect {
	c.mu.Lock()
	id := c.clientID
	c.mu.Unlock()
	var keepAlive uint16
	if c.cfg.KeepAlive > 0 {
		keepAlive = uint16(max(1, (c.cfg.KeepAlive+time.Second-1)/time.Second))
	}
	maxPacket := uint32(min(c.cfg.MaxPayload+maxPacketHeadroom, 268435455))
	cp := &paho.Connect{
		ClientID:   id,
		KeepAlive:  keepAlive,
		CleanStart: true,
		Properties: &paho.ConnectProperties{
			MaximumPacketSize:   &maxPacket,
			RequestResponseInfo: c.cfg.RequestResponseInfo,
			RequestProblemInfo:  true,
		},
	}
	if c.cfg.Username != "" {
		cp.UsernameFlag, cp.Username = true, c.cfg.Username
	}
	if c.cfg.Password != "" {
		cp.PasswordFlag, cp.Password = true, []byte(c.cfg.Password)
	}
	if c.cfg.EndpointID != "" {
		cp.Properties.User.Add("usp-endpoint-id", c.cfg.EndpointID)
	}
	return cp
}

// filters are the topic filters to subscribe to for a session (R-MQTT.15):
// the configured ones, the CONNACK's subscribe-topic ones, and the Response
// Information topic unless one of those covers it.
func (c *Client) filters(s Session) []string {
	var fs []string
	add := func(f string) {
		if ValidTopicFilter(f) != nil {
			c.log.LogAttrs(c.ctx, slog.LevelWarn, "mqtt: broker sent an invalid topic; ignored", slog.String("topic", f))
			return
		}
		for _, g := range fs {
			if g == f {
				return
			}
		}
		fs = append(fs, f)
	}
	for _, f := range c.cfg.Topics {
		add(f)
	}
	for _, f := range s.SubscribeTopics {
		add(f)
	}
	if t := s.ResponseInformation; t != "" && !covered(fs, t) {
		add(t)
	}
	return fs
}

// subscribe subscribes to filters at QoS 1 and returns those accepted; at
// least one must be (R-MQTT.17).
func (c *Client) subscribe(ctx context.Context, pc *paho.Client, filters []string) ([]string, error) {
	if len(filters) == 0 {
		return nil, &SubscribeError{}
	}
	s := &paho.Subscribe{}
	for _, f := range filters {
		s.Subscriptions = append(s.Subscriptions, paho.SubscribeOptions{Topic: f, QoS: 1})
	}
	sa, err := pc.Subscribe(ctx, s)
	if sa == nil {
		return nil, fmt.Errorf("mqtt: SUBSCRIBE: %w", err)
	}
	var ok []string
	refused := make(map[string]byte)
	for i, code := range sa.Reasons {
		if i >= len(filters) {
			break
		}
		if code >= 0x80 {
			refused[filters[i]] = code
		} else {
			ok = append(ok, filters[i])
		}
	}
	if len(ok) == 0 {
		return nil, &SubscribeError{Refused: refused}
	}
	if len(refused) > 0 {
		c.log.LogAttrs(ctx, slog.LevelWarn, "mqtt: broker refused some subscriptions", slog.Any("refused", refused))
	}
	return ok, nil
}

func (c *Client) setStatus(s Status) {
	c.mu.Lock()
	c.status = s
	c.mu.Unlock()
}

func (c *Client) failed(s Status, err error) {
	c.mu.Lock()
	c.status, c.lastErr = s, err
	c.mu.Unlock()
}

func (c *Client) wentUp(pc *paho.Client, s Session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cur, c.session, c.status = pc, s, StatusConnected
	c.connects++
	if s.AssignedClientID != "" {
		c.clientID = s.AssignedClientID // reused on reconnect (R-MQTT.11)
	}
	close(c.up)
}

// wentDown records the end of a session; err is nil when closing.
func (c *Client) wentDown(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil {
		return
	}
	c.cur, c.session = nil, Session{}
	c.up = make(chan struct{})
	if err != nil {
		c.status, c.lastErr = StatusConnecting, err
	}
}

// sleep waits d, or returns false when the Client closes first.
func (c *Client) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.ctx.Done():
		return false
	}
}

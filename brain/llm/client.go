package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"

	"github.com/docent-bot/docent/chat/markdown"
)

var (
	// ErrUnavailable is returned without asking the server while the
	// circuit breaker is open after repeated failures.
	ErrUnavailable = errors.New("llm: unavailable after repeated failures")
	// ErrTruncated means a stream ended without a finish reason: the
	// answer is incomplete, whatever text arrived.
	ErrTruncated = errors.New("llm: the answer stream ended without a finish reason")
	// errTooLong is what reading a reply past its bound returns: the
	// server ignored max_tokens.
	errTooLong = errors.New("the reply is longer than max_tokens allows")
)

// Error is a failed request to the LLM server. Its message says what went
// wrong in an admin's terms and never contains the API key; Unwrap gives
// the cause (context.DeadlineExceeded, ErrTruncated, *openai.APIError…).
type Error struct {
	// StatusCode is the server's HTTP status, 0 when none came.
	StatusCode int
	// Config is set when the server refused the configuration (401, 403,
	// 404) or the request could not be built: retrying cannot help,
	// the llm: settings need fixing.
	Config bool
	// Attempts counts the requests made, retries included.
	Attempts int

	msg   string
	err   error
	retry bool    // a retry may succeed
	blame outcome // what it tells the circuit breaker
}

func (e *Error) Error() string {
	if e.Attempts > 1 {
		return fmt.Sprintf("llm: %s (%d attempts)", e.msg, e.Attempts)
	}
	return "llm: " + e.msg
}

func (e *Error) Unwrap() error { return e.err }

// Client asks an OpenAI-compatible server. It is safe for concurrent use:
// requests run independently, and only the circuit breaker's state is
// shared, behind a lock never held across a request.
type Client struct {
	cfg     Config
	system  string
	api     *openai.Client
	breaker *breaker
	log     *slog.Logger

	// Time and chance, replaced in tests.
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error
	jitter func(n int64) int64 // uniform in [0, n)
}

// Option changes how New builds a Client.
type Option func(*options)

type options struct {
	log  *slog.Logger
	http *http.Client
}

// WithLogger logs retries and the circuit breaker's changes to l.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithHTTPClient sends requests through hc (a proxy, custom TLS). Leave
// hc.Timeout zero: it would cut long streams; Config.Timeout bounds them.
func WithHTTPClient(hc *http.Client) Option { return func(o *options) { o.http = hc } }

// New returns a client for cfg, or every problem with cfg.
func New(cfg Config, opts ...Option) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("llm: %w", err)
	}
	o := options{log: slog.New(slog.DiscardHandler), http: &http.Client{Transport: transport()}}
	for _, opt := range opts {
		opt(&o)
	}
	c := &Client{
		cfg:    cfg,
		system: cfg.SystemPrompt,
		log:    o.log,
		now:    time.Now,
		sleep:  sleep,
		jitter: rand.Int64N,
	}
	if strings.TrimSpace(c.system) == "" {
		c.system = DefaultSystemPrompt
	}
	now := func() time.Time { return c.now() }
	oc := openai.DefaultConfig(cfg.APIKey)
	oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	oc.HTTPClient = &recorder{next: o.http, now: now}
	c.api = openai.NewClientWithConfig(oc)
	c.breaker = &breaker{failures: cfg.BreakerFailures, cooldown: cfg.BreakerCooldown, now: now}
	return c, nil
}

// transport bounds connecting, not answering: a whole answer is bounded by
// the request's context, which an http.Client.Timeout would cut short.
func transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	return t
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Answer asks for a whole answer at once.
func (c *Client) Answer(ctx context.Context, r Request) (Answer, error) {
	return c.ask(ctx, r, nil, false)
}

// Stream asks for a streamed answer, calling onDelta (which may be nil)
// with the whole checked text so far as it grows: after each chunk while
// the text is short, then each time it has grown by an eighth or
// draftEvery has passed, so that checking costs in proportion to the
// answer, not to its square. onDelta runs on the caller's goroutine
// between reads; wrap it in a Throttler for chat platforms. A failure before any text was delivered is retried; after,
// it is returned. A stream that ends without a finish reason fails with
// ErrTruncated.
func (c *Client) Stream(ctx context.Context, r Request, onDelta func(textSoFar string)) (Answer, error) {
	return c.ask(ctx, r, onDelta, true)
}

func (c *Client) ask(parent context.Context, r Request, onDelta func(string), stream bool) (Answer, error) {
	return c.send(parent, func() prompt { return buildPrompt(c.system, c.cfg.MaxPromptChars, r) }, onDelta, stream)
}

// send asks the server with the prompt build makes (built only when the
// circuit lets the question through), under the deadline, retries and
// circuit breaker every question shares.
func (c *Client) send(parent context.Context, build func() prompt, onDelta func(string), stream bool) (Answer, error) {
	trial, err := c.breaker.allow()
	if err != nil {
		return Answer{}, err
	}
	p := build()
	ctx, cancel := context.WithTimeout(parent, c.cfg.Timeout)
	defer cancel()
	ans, err := c.attempts(ctx, p, onDelta, stream)

	o := succeeded
	if err != nil {
		o = failed
		if e, ok := errors.AsType[*Error](err); ok {
			o = e.blame
		}
		if errors.Is(parent.Err(), context.Canceled) {
			o = neutral
		}
	}
	opened, closed := c.breaker.done(trial, o)
	switch {
	case opened:
		c.log.Warn("llm: circuit open, not asking the server for a while",
			slog.Duration("cooldown", c.cfg.BreakerCooldown), slog.String("error", err.Error()))
	case closed:
		c.log.Info("llm: circuit closed, the server answers again")
	}
	return ans, err
}

// attempts asks until an answer comes, a failure is final, the retries
// are spent or the deadline would pass while waiting.
func (c *Client) attempts(ctx context.Context, p prompt, onDelta func(string), stream bool) (Answer, error) {
	req := c.chatRequest(p, stream)
	for n := 1; ; n++ {
		a := &attempt{}
		actx := context.WithValue(ctx, attemptKey{}, a)
		var (
			ans       Answer
			delivered bool
			err       error
		)
		if stream {
			ans, delivered, err = c.streamOnce(actx, req, p, onDelta, a)
		} else {
			ans, err = c.once(actx, req, p, a)
		}
		if err == nil {
			return ans, nil
		}
		e := c.classify(ctx, err, a, n)
		if !e.retry || delivered || n > c.cfg.MaxRetries {
			return Answer{}, e
		}
		wait := c.backoff(n, a)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			e.msg += fmt.Sprintf("; not retrying: waiting %s would pass the deadline", wait.Round(time.Millisecond))
			return Answer{}, e
		}
		c.log.Info("llm: retrying", slog.Int("attempt", n), slog.Duration("wait", wait), slog.String("error", e.Error()))
		if err := c.sleep(ctx, wait); err != nil {
			e.err = errors.Join(err, e.err)
			e.msg = fmt.Sprintf("gave up waiting to retry (%v) after: %s", err, e.msg)
			return Answer{}, e
		}
	}
}

// Backoff bounds: full jitter up to RetryBase·2ⁿ, at most maxBackoff;
// a server's Retry-After is honoured as given (the deadline bounds it).
const (
	maxBackoff    = 30 * time.Second
	maxRetryAfter = time.Hour
)

func (c *Client) backoff(n int, a *attempt) time.Duration {
	if a.hinted {
		return a.retryAfter
	}
	ceiling := maxBackoff
	if n-1 < 32 {
		ceiling = min(c.cfg.RetryBase<<(n-1), maxBackoff)
	}
	if ceiling <= 0 {
		return 0
	}
	return time.Duration(c.jitter(int64(ceiling) + 1))
}

// temperatureZero stands in for 0, which go-openai leaves out of the JSON
// (omitempty) so that the server's default (often 0.8 or 1) would apply.
const temperatureZero = 1e-6

func (c *Client) chatRequest(p prompt, stream bool) openai.ChatCompletionRequest {
	req := openai.ChatCompletionRequest{
		Model: c.cfg.Model,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: p.system},
			{Role: openai.ChatMessageRoleUser, Content: p.user},
		},
		MaxTokens:   c.cfg.MaxTokens,
		Temperature: float32(c.cfg.Temperature),
	}
	if req.Temperature == 0 {
		req.Temperature = temperatureZero
	}
	// Reasoning models (o1, o3, o4, gpt-5…) take max_completion_tokens and
	// no temperature; go-openai refuses the request otherwise.
	if openai.NewReasoningValidator().Validate(req) != nil {
		req.MaxCompletionTokens, req.MaxTokens, req.Temperature = req.MaxTokens, 0, 0
	}
	if stream {
		req.Stream = true
		req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	}
	return req
}

var errNoChoices = errors.New("no choices in the reply")

func (c *Client) once(ctx context.Context, req openai.ChatCompletionRequest, p prompt, a *attempt) (Answer, error) {
	a.limit = replyLimit(c.cfg.MaxTokens)
	resp, err := c.api.CreateChatCompletion(ctx, req)
	if err != nil {
		return Answer{}, err
	}
	if len(resp.Choices) == 0 {
		return Answer{}, errNoChoices
	}
	choice := resp.Choices[0]
	var u *openai.Usage
	if resp.Usage.PromptTokens > 0 || resp.Usage.CompletionTokens > 0 {
		u = &resp.Usage
	}
	raw, cut := capText(choice.Message.Content, answerLimit(c.cfg.MaxTokens))
	return c.answer(p, raw, resp.Model, string(choice.FinishReason), u, cut || a.cut), nil
}

// The bounds of one reply. A server may ignore max_tokens (the probe's
// wrote 5 MB): Docent keeps at most answerLimit bytes of an answer, a few
// times what max_tokens should allow, and reads at most replyLimit bytes
// of a whole reply or streamLimit bytes of a stream (every chunk carries
// a hundred bytes of JSON around a few of text).
const (
	bytesPerToken  = 8
	minAnswerLimit = 4 << 10
	draftEvery     = 250 * time.Millisecond
)

func answerLimit(maxTokens int) int { return max(maxTokens*bytesPerToken, minAnswerLimit) }
func replyLimit(maxTokens int) int64 {
	return 4*int64(answerLimit(maxTokens)) + 64<<10 // JSON escapes at most double a text in practice
}
func streamLimit(maxTokens int) int64 { return 64*int64(answerLimit(maxTokens)) + 1<<20 }

// capText cuts s to at most n bytes, on a character boundary, and says
// whether it did.
func capText(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], true
}

// cutNote is the line that tells the member an answer was cut; an open
// code block is closed first so the line reads as prose.
func cutNote(text string, limit int) string {
	if c := markdown.Parse(text).OpenAtEnd(); c != nil {
		text += "\n" + c.Closer()
	}
	return text + fmt.Sprintf("\n\n(answer cut: it was longer than the %s Docent keeps of an answer)", sizeOf(limit))
}

func sizeOf(n int) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d MB", n>>20)
}

func (c *Client) streamOnce(ctx context.Context, req openai.ChatCompletionRequest, p prompt, onDelta func(string), a *attempt) (ans Answer, delivered bool, err error) {
	a.limit, a.stream = streamLimit(c.cfg.MaxTokens), true
	st, err := c.api.CreateChatCompletionStream(ctx, req)
	if err != nil {
		return Answer{}, false, err
	}
	// Closing the stream stops reading it: a cut answer leaves the rest
	// of a server's reply unread.
	defer st.Close()
	var (
		raw        strings.Builder
		model      string
		finishedAs string
		usage      *openai.Usage
		cut        bool
		limit      = answerLimit(c.cfg.MaxTokens)
		shown      int       // bytes of raw the last onDelta showed
		shownAt    time.Time // when
	)
	for !cut {
		chunk, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, errTooLong) && raw.Len() > 0 {
			cut = true // the server's JSON around the text ran past the bound
			break
		}
		if err != nil {
			return Answer{}, delivered, err
		}
		a.chunks++
		if chunk.Model != "" {
			model = chunk.Model
		}
		if chunk.Usage != nil {
			usage = chunk.Usage
		}
		grew := false
		for _, ch := range chunk.Choices {
			if ch.Index != 0 {
				continue
			}
			if ch.Delta.Content != "" && !cut {
				var text string
				text, cut = capText(ch.Delta.Content, limit-raw.Len())
				raw.WriteString(text)
				grew = true
			}
			if ch.FinishReason != "" {
				finishedAs = string(ch.FinishReason)
			}
		}
		// Checking the text costs its length: done at every chunk, a
		// long answer would cost the square of its length.
		if grew && onDelta != nil && (raw.Len()-shown >= shown/8 || c.now().Sub(shownAt) >= draftEvery) {
			text, _ := p.finish(raw.String())
			onDelta(text)
			delivered, shown, shownAt = true, raw.Len(), c.now()
		}
	}
	if cut && finishedAs == "" {
		finishedAs = "length"
	}
	if finishedAs == "" {
		return Answer{}, delivered, ErrTruncated
	}
	return c.answer(p, raw.String(), model, finishedAs, usage, cut), delivered, nil
}

// answer checks the raw reply and fills in what the server left out.
// A cut reply ends with a line saying so.
func (c *Client) answer(p prompt, raw, model, finishedAs string, u *openai.Usage, cut bool) Answer {
	text, cited := p.finish(raw)
	if cut {
		limit := answerLimit(c.cfg.MaxTokens)
		text = cutNote(text, limit)
		c.log.Warn("llm: answer cut: the server wrote more than max_tokens allows",
			slog.Int("max_tokens", c.cfg.MaxTokens), slog.Int("kept_bytes", len(raw)), slog.Int("limit_bytes", limit))
	}
	ans := Answer{Text: text, Cited: cited, Model: model, FinishReason: finishedAs, Cut: cut}
	if ans.Model == "" {
		ans.Model = c.cfg.Model
	}
	if u != nil {
		ans.Usage = Usage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens}
	} else {
		ans.Usage = Usage{
			PromptTokens:     (runes(p.system) + runes(p.user) + 3) / 4,
			CompletionTokens: (runes(raw) + 3) / 4,
			Estimated:        true,
		}
	}
	return ans
}

// classify turns one attempt's failure into an Error an admin can act on.
func (c *Client) classify(ctx context.Context, err error, a *attempt, attempts int) *Error {
	e := &Error{StatusCode: a.status, Attempts: attempts, err: err, blame: failed}
	var msg string
	apiErr, isAPI := errors.AsType[*openai.APIError](err)
	reqErr, isReq := errors.AsType[*openai.RequestError](err)
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case ctx.Err() != nil:
		e.err = ctx.Err()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			msg = fmt.Sprintf("the LLM server did not answer in time (timeout %s)", c.cfg.Timeout)
		} else {
			msg, e.blame = "the request was cancelled", neutral
		}
	case isAPI && apiErr.HTTPStatusCode == 0:
		msg, e.retry = "the LLM server reported an error in the stream: "+detail(apiErr.Message), true
	case isAPI:
		msg = c.byStatus(e, apiErr.HTTPStatusCode, apiErr.Message)
	case isReq:
		msg = c.byStatus(e, reqErr.HTTPStatusCode, string(reqErr.Body))
	case errors.Is(err, ErrTruncated) && a.chunks == 0 && a.contentType != "" && !strings.HasPrefix(a.contentType, "text/event-stream"):
		msg = fmt.Sprintf("the LLM server answered a stream with %s, not server-sent events (check llm.base_url: it usually ends in /v1)", a.contentType)
	case errors.Is(err, ErrTruncated):
		e.retry = true
		msg = fmt.Sprintf("the LLM server's stream ended without a finish reason after %d chunks", a.chunks)
		if a.chunks == 0 {
			msg = "the LLM server closed the stream without sending an answer (check llm.base_url: it usually ends in /v1)"
		}
	case errors.Is(err, errTooLong):
		msg = fmt.Sprintf("the LLM server's reply ran past the %s Docent reads: it ignores max_tokens (%d)",
			sizeOf(int(a.limit)), c.cfg.MaxTokens)
	case errors.As(err, &syntaxErr), errors.As(err, &typeErr), errors.Is(err, errNoChoices),
		errors.Is(err, openai.ErrTooManyEmptyStreamMessages):
		msg = fmt.Sprintf("the LLM server's reply is not OpenAI-compatible (check llm.base_url: it usually ends in /v1): %v", err)
	case !a.sent:
		e.Config = true
		msg = fmt.Sprintf("could not make a request for model %q: %v", c.cfg.Model, err)
	case a.status != 0:
		e.retry = true
		msg = fmt.Sprintf("the connection to the LLM server at %s broke: %v", c.host(), err)
	default:
		e.retry = true
		msg = fmt.Sprintf("cannot reach the LLM server at %s: %v", c.host(), unwrapURL(err))
	}
	e.msg = c.scrub(msg)
	return e
}

// byStatus explains an HTTP error status and decides whether to retry.
func (c *Client) byStatus(e *Error, status int, serverMsg string) string {
	e.StatusCode = status
	why := ""
	if d := detail(serverMsg); d != "" {
		why = ": " + d
	}
	switch {
	case status == http.StatusUnauthorized:
		e.Config = true
		return "the LLM server refused the API key (401); check llm.api_key" + why
	case status == http.StatusForbidden:
		e.Config = true
		return "the LLM server refused access with this API key (403)" + why
	case status == http.StatusNotFound:
		e.Config = true
		return fmt.Sprintf("the LLM server has no model %q or no chat completions under %s (404); check llm.model and llm.base_url%s",
			c.cfg.Model, redactURL(c.cfg.BaseURL), why)
	case status == http.StatusTooManyRequests:
		e.retry = true
		return "the LLM server is rate limiting Docent (429)" + why
	case status == http.StatusRequestTimeout || status >= 500:
		e.retry = true
		return fmt.Sprintf("the LLM server failed (%d)%s", status, why)
	default:
		// This request alone is at fault (too long, bad parameter): the
		// server itself is answering.
		e.blame = succeeded
		return fmt.Sprintf("the LLM server rejected the request (%d)%s", status, why)
	}
}

// detail shortens a server's message (or an HTML error page) for a log line.
func detail(s string) string {
	return cut(strings.Join(strings.Fields(s), " "), 200)
}

func unwrapURL(err error) error {
	if u, ok := errors.AsType[*url.Error](err); ok {
		return u.Err
	}
	return err
}

func (c *Client) host() string {
	if u, err := url.Parse(c.cfg.BaseURL); err == nil && u.Host != "" {
		return u.Host
	}
	return "llm.base_url"
}

// scrub removes the API key and any password in base_url from a message:
// servers echo keys back, and URLs end up in network errors.
func (c *Client) scrub(s string) string {
	if k := c.cfg.APIKey; k != "" {
		s = strings.ReplaceAll(s, k, "[api key]")
	}
	if red := redactURL(c.cfg.BaseURL); red != c.cfg.BaseURL {
		s = strings.ReplaceAll(s, strings.TrimRight(c.cfg.BaseURL, "/"), strings.TrimRight(red, "/"))
	}
	return s
}

// attempt is what the HTTP layer saw of one request, which go-openai does
// not pass on: the status and the server's Retry-After hint.
type attempt struct {
	sent        bool // the request reached the HTTP client
	status      int
	contentType string
	retryAfter  time.Duration
	hinted      bool // the server said how long to wait
	chunks      int  // stream chunks received

	// limit bounds the bytes read of the reply; a whole reply past it is
	// cut to its answer's start (cut), a stream reads errTooLong.
	limit  int64
	stream bool
	cut    bool
}

type attemptKey struct{}

// recorder notes the response of each request in the attempt carried by
// the request's context: per request, so concurrent requests never share.
type recorder struct {
	next openai.HTTPDoer
	now  func() time.Time
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	a, _ := req.Context().Value(attemptKey{}).(*attempt)
	if a != nil {
		a.sent = true
	}
	resp, err := r.next.Do(req)
	if a != nil && resp != nil {
		a.status = resp.StatusCode
		a.contentType = resp.Header.Get("Content-Type")
		a.retryAfter, a.hinted = retryAfter(resp.Header, r.now())
		if a.limit > 0 {
			if resp.Body, err = bound(resp.Body, a); err != nil {
				return nil, err
			}
		}
	}
	return resp, err
}

// bound limits what is read of a reply. A stream is read as it comes and
// fails with errTooLong at the limit. A whole reply is read here, up to the
// limit; one past it becomes a reply of its first answer's beginning, so
// that the member sees what fits rather than nothing.
func bound(body io.ReadCloser, a *attempt) (io.ReadCloser, error) {
	if a.stream {
		return &limitedBody{ReadCloser: body, left: a.limit}, nil
	}
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, a.limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) <= a.limit || a.status >= 300 {
		return io.NopCloser(bytes.NewReader(b[:min(int64(len(b)), a.limit)])), nil
	}
	text, ok := answerStart(b)
	if !ok {
		return nil, errTooLong
	}
	a.cut = true
	whole, err := json.Marshal(openai.ChatCompletionResponse{Choices: []openai.ChatCompletionChoice{{
		Message: openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: text}, FinishReason: "length"}}})
	if err != nil {
		return nil, fmt.Errorf("re-encode a cut reply: %w", err)
	}
	return io.NopCloser(bytes.NewReader(whole)), nil
}

// answerStart finds the beginning of the first answer's text in the
// first bytes of a chat completion: the string after "content" in
// "choices", up to where the bytes end.
func answerStart(b []byte) (string, bool) {
	i := bytes.Index(b, []byte(`"choices"`))
	if i < 0 {
		return "", false
	}
	b = b[i:]
	j := bytes.Index(b, []byte(`"content"`))
	if j < 0 {
		return "", false
	}
	b = bytes.TrimLeft(b[j+len(`"content"`):], " \t\r\n")
	if len(b) == 0 || b[0] != ':' {
		return "", false
	}
	b = bytes.TrimLeft(b[1:], " \t\r\n")
	if len(b) == 0 || b[0] != '"' {
		return "", false
	}
	end := 1
	for end < len(b) && b[end] != '"' {
		if b[end] == '\\' {
			end++
		}
		end++
	}
	b = b[1:min(end, len(b))]
	// The bytes may end inside an escape (\u00e): drop it.
	for drop := 0; drop <= 6 && drop <= len(b); drop++ {
		var s string
		if json.Unmarshal(append(append([]byte{'"'}, b[:len(b)-drop]...), '"'), &s) == nil {
			return s, true
		}
	}
	return "", false
}

// limitedBody reads at most left bytes, then fails with errTooLong.
type limitedBody struct {
	io.ReadCloser
	left int64
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, errTooLong
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.ReadCloser.Read(p)
	l.left -= int64(n)
	return n, err
}

// retryAfter reads a server's hint: Retry-After in seconds or as an HTTP
// date, or the retry-after-ms some gateways send.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	seconds := func(v string, unit time.Duration) (time.Duration, bool) {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f < 0 || f != f {
			return 0, false
		}
		return min(time.Duration(min(f, float64(maxRetryAfter/unit))*float64(unit)), maxRetryAfter), true
	}
	if v := h.Get("Retry-After-Ms"); v != "" {
		if d, ok := seconds(v, time.Millisecond); ok {
			return d, true
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if d, ok := seconds(v, time.Second); ok {
		return d, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), maxRetryAfter), true
	}
	return 0, false
}

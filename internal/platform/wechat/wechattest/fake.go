// Package wechattest is a fake WeChat API server for tests: WeChat itself can
// never be reached from a test. It answers code2session, the access token,
// msg_sec_check, subscribe send and getwxacodeunlimit (recording the page
// and scene of each code) the way WeChat does, and can be told to fail.
package wechattest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// Server is a fake api.weixin.qq.com.
type Server struct {
	*httptest.Server

	mu         sync.Mutex
	codes      map[string]string // wx.login code → openId; single use
	used       map[string]bool
	failNext   []int // errcodes answered by the next calls, in order
	delay      time.Duration
	risky      []string
	review     []string
	tokenCalls int
	checks     int
	checkDown  bool
	sends      []Sent
	codes2     []CodeRequest   // the mini-program codes made
	released   map[string]bool // nil: every page is in the released mini-program
}

// Released says which pages the released mini-program has: a code for
// another page is refused with 41030 unless check_path is false, as on
// WeChat.
func (s *Server) Released(pages ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.released = map[string]bool{}
	for _, p := range pages {
		s.released[p] = true
	}
}

// Sent is one subscribe message the fake accepted.
type Sent struct {
	ToUser     string            `json:"touser"`
	TemplateID string            `json:"template_id"`
	Page       string            `json:"page"`
	State      string            `json:"miniprogram_state"`
	Data       map[string]string `json:"-"`
}

// New starts a fake server, stopped when the test ends.
func New(t testing.TB) *Server {
	s := &Server{codes: map[string]string{}, used: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/sns/jscode2session", s.code2session)
	mux.HandleFunc("/cgi-bin/token", s.token)
	mux.HandleFunc("/cgi-bin/stable_token", s.token)
	mux.HandleFunc("/wxa/msg_sec_check", s.msgSecCheck)
	mux.HandleFunc("/cgi-bin/message/subscribe/send", s.subscribeSend)
	mux.HandleFunc("/wxa/getwxacodeunlimit", s.wxacode)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// AddCode makes code log in as openID (once, as on WeChat).
func (s *Server) AddCode(code, openID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = openID
}

// FailNext makes the next call answer errcode.
func (s *Server) FailNext(errcode int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = append(s.failNext, errcode)
}

// SetDelay makes every answer wait d (for time-outs).
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Risky makes msg_sec_check judge text containing word risky.
func (s *Server) Risky(word string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.risky = append(s.risky, word)
}

// TokenCalls is how many access tokens were fetched.
func (s *Server) TokenCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenCalls
}

// Review makes msg_sec_check answer "review" for text containing word.
func (s *Server) Review(word string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.review = append(s.review, word)
}

// Checks is how many texts were checked.
func (s *Server) Checks() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.checks
}

// HTTPClient returns a client whose every request to WeChat reaches this
// server instead.
func (s *Server) HTTPClient() *http.Client {
	target, _ := url.Parse(s.URL)
	return &http.Client{Timeout: 2 * time.Second, Transport: rewrite{target: target, next: http.DefaultTransport}}
}

type rewrite struct {
	target *url.URL
	next   http.RoundTripper
}

func (r rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme = r.target.Scheme
	req.URL.Host = r.target.Host
	req.Host = r.target.Host
	return r.next.RoundTrip(req)
}

// begin applies the delay and answers a queued failure; it reports whether
// the call was answered.
func (s *Server) begin(w http.ResponseWriter) bool {
	s.mu.Lock()
	d := s.delay
	fail := 0
	if len(s.failNext) > 0 {
		fail, s.failNext = s.failNext[0], s.failNext[1:]
	}
	s.mu.Unlock()
	if d > 0 {
		time.Sleep(d)
	}
	if fail != 0 {
		write(w, map[string]any{"errcode": fail, "errmsg": "fake failure"})
		return true
	}
	return false
}

func (s *Server) code2session(w http.ResponseWriter, r *http.Request) {
	if s.begin(w) {
		return
	}
	code := r.URL.Query().Get("js_code")
	s.mu.Lock()
	openID, ok := s.codes[code]
	used := s.used[code]
	if ok && !used {
		s.used[code] = true
	}
	s.mu.Unlock()
	switch {
	case !ok:
		write(w, map[string]any{"errcode": 40029, "errmsg": "invalid code"})
	case used:
		write(w, map[string]any{"errcode": 40163, "errmsg": "code been used"})
	default:
		write(w, map[string]any{"openid": openID, "session_key": "fake-session-key"})
	}
}

func (s *Server) token(w http.ResponseWriter, _ *http.Request) {
	if s.begin(w) {
		return
	}
	s.mu.Lock()
	s.tokenCalls++
	s.mu.Unlock()
	write(w, map[string]any{"access_token": "fake-access-token", "expires_in": 7200})
}

func (s *Server) msgSecCheck(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	down := s.checkDown
	s.mu.Unlock()
	if down {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				_ = c.Close()
				return
			}
		}
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	if s.begin(w) {
		return
	}
	if r.URL.Query().Get("access_token") != "fake-access-token" {
		write(w, map[string]any{"errcode": 40001, "errmsg": "invalid credential"})
		return
	}
	var req struct {
		Content string `json:"content"`
		Title   string `json:"title"`
	}
	_ = json.NewDecoder(r.Body).Decode(&req)
	s.mu.Lock()
	s.checks++
	suggest := "pass"
	if len([]rune(req.Content)) > 2500 {
		s.mu.Unlock()
		write(w, map[string]any{"errcode": 47001, "errmsg": "content too long"})
		return
	}
	for _, w := range s.review {
		if strings.Contains(req.Content, w) || strings.Contains(req.Title, w) {
			suggest = "review"
		}
	}
	for _, w := range s.risky {
		if strings.Contains(req.Content, w) || strings.Contains(req.Title, w) {
			suggest = "risky"
		}
	}
	s.mu.Unlock()
	write(w, map[string]any{"errcode": 0, "errmsg": "ok", "result": map[string]any{"suggest": suggest, "label": 100}})
}

func write(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Sends are the subscribe messages accepted so far.
func (s *Server) Sends() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sends...)
}

// CheckDown makes msg_sec_check unreachable (the connection is dropped)
// until called with false.
func (s *Server) CheckDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checkDown = down
}

// CodeRequest is one mini-program code (getwxacodeunlimit) the fake made.
type CodeRequest struct {
	Page       string `json:"page"`
	Scene      string `json:"scene"`
	Width      int    `json:"width"`
	CheckPath  *bool  `json:"check_path"`  // nil: WeChat's default, true
	EnvVersion string `json:"env_version"` // "": WeChat's default, "release"
}

// Codes are the scenes of the mini-program codes made so far.
func (s *Server) Codes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.codes2))
	for i, c := range s.codes2 {
		out[i] = c.Scene
	}
	return out
}

// CodeRequests are the mini-program codes made so far: page and scene.
func (s *Server) CodeRequests() []CodeRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]CodeRequest(nil), s.codes2...)
}

func (s *Server) subscribeSend(w http.ResponseWriter, r *http.Request) {
	if s.begin(w) {
		return
	}
	if r.URL.Query().Get("access_token") != "fake-access-token" {
		write(w, map[string]any{"errcode": 40001, "errmsg": "invalid credential"})
		return
	}
	var req struct {
		Sent
		Data map[string]struct {
			Value string `json:"value"`
		} `json:"data"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.ToUser == "" || req.TemplateID == "" {
		write(w, map[string]any{"errcode": 47001, "errmsg": "data format error"})
		return
	}
	sent := req.Sent
	sent.Data = map[string]string{}
	for k, v := range req.Data {
		if !validKeyword(k, v.Value) {
			write(w, map[string]any{"errcode": 47003, "errmsg": "argument invalid! data." + k + ".value invalid"})
			return
		}
		sent.Data[k] = v.Value
	}
	s.mu.Lock()
	s.sends = append(s.sends, sent)
	s.mu.Unlock()
	write(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": len(s.Sends())})
}

// WeChat's rules for a subscribe message's keyword values, by the type
// its key starts with (thing1, phrase2, time3, ...): what WeChat answers
// 47003 to.
var (
	timeValue = regexp.MustCompile(`^(\d{4}年\d{1,2}月\d{1,2}日)? ?(\d{1,2}:\d{2})?$`)
	dateValue = regexp.MustCompile(`^\d{4}年\d{1,2}月\d{1,2}日( \d{1,2}:\d{2})?$`)
	number    = regexp.MustCompile(`^\d+(\.\d+)?$`)
)

func validKeyword(key, v string) bool {
	n := utf8.RuneCountInString(v)
	if n == 0 {
		return false // WeChat: "data.thing1.value is empty"
	}
	han := func() bool {
		for _, r := range v {
			if !unicode.Is(unicode.Han, r) {
				return false
			}
		}
		return true
	}
	switch typ := strings.TrimRight(key, "0123456789"); typ {
	case "thing":
		return n <= 20
	case "phrase": // five Chinese characters at most, nothing else
		return n <= 5 && han()
	case "name": // ten Chinese characters, or twenty letters or symbols
		return han() && n <= 10 || !strings.ContainsFunc(v, func(r rune) bool { return unicode.Is(unicode.Han, r) }) && n <= 20
	case "time":
		return strings.Contains(v, ":") && timeValue.MatchString(v)
	case "date":
		return dateValue.MatchString(v)
	case "number":
		return n <= 32 && number.MatchString(v)
	case "character_string":
		return n <= 32 && !strings.ContainsFunc(v, func(r rune) bool { return r > unicode.MaxASCII })
	}
	return true
}

// fakeJPEG is what the fake answers for a mini-program code: a JPEG header.
var fakeJPEG = []byte{0xFF, 0xD8, 0xFF, 0xE0, 'f', 'a', 'k', 'e', 0xFF, 0xD9}

func (s *Server) wxacode(w http.ResponseWriter, r *http.Request) {
	if s.begin(w) {
		return
	}
	if r.URL.Query().Get("access_token") != "fake-access-token" {
		write(w, map[string]any{"errcode": 40001, "errmsg": "invalid credential"})
		return
	}
	var req CodeRequest
	_ = json.NewDecoder(r.Body).Decode(&req)
	if req.Scene == "" || len(req.Scene) > 32 {
		write(w, map[string]any{"errcode": 40097, "errmsg": "invalid scene"})
		return
	}
	s.mu.Lock()
	unreleased := s.released != nil && !s.released[req.Page] && (req.CheckPath == nil || *req.CheckPath)
	if !unreleased {
		s.codes2 = append(s.codes2, req)
	}
	s.mu.Unlock()
	if unreleased {
		write(w, map[string]any{"errcode": 41030, "errmsg": "invalid page rid: fake"})
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	_, _ = w.Write(fakeJPEG)
}

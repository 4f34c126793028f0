// Package wechat is the product's door to the WeChat mini-program platform,
// through github.com/silenceper/wechat/v2: login (code2session) and text
// content security. Its access token is cached in our Redis. WeChat failures
// become product errors with stable codes; WeChat's own text is only logged.
package wechat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/credential"
	"github.com/silenceper/wechat/v2/miniprogram"
	mpconfig "github.com/silenceper/wechat/v2/miniprogram/config"
	"github.com/silenceper/wechat/v2/miniprogram/qrcode"
	"github.com/silenceper/wechat/v2/miniprogram/security"
	"github.com/silenceper/wechat/v2/miniprogram/subscribe"
	"github.com/silenceper/wechat/v2/util"

	"linli/internal/apperr"
)

// Errors WeChat's answers become.
var (
	ErrBadCode     = apperr.Define(apperr.Unauthorized, "WECHAT_CODE_INVALID", "微信登录凭证无效或已使用，请重新进入小程序")
	ErrRateLimited = apperr.Define(apperr.RateLimited, "WECHAT_BUSY", "微信服务繁忙，请稍后再试")
	ErrUpstream    = apperr.Define(apperr.BadGateway, "WECHAT_UNAVAILABLE", "暂时无法连接微信，请稍后再试")
	ErrRisky       = apperr.Define(apperr.Invalid, "CONTENT_REJECTED", "内容含有不适宜发布的信息，请修改后再提交")
)

// Session is what code2session tells about a user.
type Session struct {
	OpenID  string
	UnionID string
}

// Client talks to WeChat.
type Client struct {
	mp          *miniprogram.MiniProgram
	tokens      *Cache
	appID       string
	codeVersion string
}

// The versions of the mini-program a mini-program code can open
// (getwxacodeunlimit's env_version): the released one, the trial build
// (体验版, for the members the console lists as testers) or the
// development build (开发版).
const (
	Release = "release"
	Trial   = "trial"
	Develop = "develop"
)

// CodeVersions are the values env_version takes.
var CodeVersions = []string{Release, Trial, Develop}

// Option sets up a Client.
type Option func(*Client)

// CodeVersion makes the mini-program codes open version v (Release,
// Trial or Develop; "" keeps Release). The caller checks v (the config
// package refuses anything else at start).
func CodeVersion(v string) Option {
	return func(c *Client) {
		if v != "" {
			c.codeVersion = v
		}
	}
}

// New returns a client for the mini-program appID. httpClient carries every
// call (silenceper uses one package-wide client; tests give a transport that
// routes to a fake server). The access token is cached in rdb.
func New(appID, secret string, rdb redis.UniversalClient, httpClient *http.Client, opts ...Option) *Client {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 5 * time.Second}
	}
	util.DefaultHTTPClient = httpClient
	tokens := NewCache(rdb)
	mp := miniprogram.NewMiniProgram(&mpconfig.Config{
		AppID:     appID,
		AppSecret: secret,
		Cache:     tokens,
	})
	c := &Client{mp: mp, tokens: tokens, appID: appID, codeVersion: Release}
	for _, o := range opts {
		o(c)
	}
	return c
}

// CodeVersion is the mini-program version the client's codes open.
func (c *Client) CodeVersion() string { return c.codeVersion }

// tokenKey is where silenceper keeps the mini-program's access token in
// its cache (credential.DefaultAccessToken's key).
func (c *Client) tokenKey() string {
	return fmt.Sprintf("%s_access_token_%s", credential.CacheKeyMiniProgramPrefix, c.appID)
}

// forgetRejectedToken drops the cached access token when WeChat answered
// that it is no longer good (40001 invalid credential, 40014 invalid
// token, 42001 expired): another process fetched a new one (while Redis
// was down each process holds its own, and WeChat keeps an old token only
// five minutes after a new one is issued), or Redis came back with an old
// one. Without this the refused token would be used until its cache entry
// expires (up to two hours); with it the next call fetches a fresh one.
// Only the token the call used is dropped: when a concurrent call already
// put a fresh one in its place, a late refusal of the old one must not
// drop the fresh one too (each fetch revokes the token before it).
func (c *Client) forgetRejectedToken(ctx context.Context, errcode int, used string) {
	if tokenRefused(errcode) && used != "" {
		_ = c.tokens.deleteIf(ctx, c.tokenKey(), used) // Redis failing: the memory is cleared all the same
	}
}

// token is the access token a call is about to use ("" when there is none
// to be had: the call fails on it itself).
func (c *Client) token(ctx context.Context) string {
	t, _ := c.mp.GetContext().GetAccessTokenContext(ctx)
	return t
}

func tokenRefused(errcode int) bool { return errcode == 40001 || errcode == 40014 || errcode == 42001 }

// fetchErrcode is how silenceper's code calls (fetchCode) report WeChat's
// errcode: in the error's text only.
var fetchErrcode = regexp.MustCompile(`errcode=(-?\d+)`)

func errcodeIn(err error) int {
	var ce *util.CommonError
	if errors.As(err, &ce) {
		return int(ce.ErrCode)
	}
	if err == nil {
		return 0
	}
	if m := fetchErrcode.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// Code2Session exchanges a wx.login code for the user's openId.
func (c *Client) Code2Session(ctx context.Context, code string) (Session, error) {
	res, err := c.mp.GetAuth().Code2SessionContext(ctx, code)
	if res.ErrCode != 0 {
		return Session{}, fromErrCode(int(res.ErrCode), err)
	}
	if err != nil {
		return Session{}, ErrUpstream.Wrap(err)
	}
	if res.OpenID == "" {
		return Session{}, ErrUpstream.Wrap(errors.New("code2session: empty openid"))
	}
	return Session{OpenID: res.OpenID, UnionID: res.UnionID}, nil
}

// CheckText asks WeChat's content security whether text, written by openID,
// may be published (forum scene). A risky verdict is CONTENT_REJECTED.
func (c *Client) CheckText(ctx context.Context, openID, title, text string) error {
	v, err := c.Verdict(ctx, openID, SceneForum, title, text)
	if err != nil {
		return err
	}
	if v == Risky {
		return ErrRisky.New()
	}
	return nil
}

// Content-security scenes (msg_sec_check v2).
const (
	SceneProfile = 1 // 资料: nicknames
	SceneComment = 2 // 评论: fulfilment notes
	SceneForum   = 3 // 论坛: wish titles and descriptions
)

// The verdicts of content security.
const (
	Pass   = "pass"
	Review = "review"
	Risky  = "risky"
)

// MaxCheck is the most characters one msg_sec_check call takes.
const MaxCheck = 2500

// Verdict asks WeChat's content security about text written by openID in
// scene, in calls of at most MaxCheck characters, and answers the worst
// verdict: Pass, Review or Risky. An error means WeChat could not say
// (unreachable, busy): the text waits, it is not refused.
func (c *Client) Verdict(ctx context.Context, openID string, scene int, title, text string) (string, error) {
	worst := Pass
	r := []rune(text)
	for start := 0; start == 0 || start < len(r); start += MaxCheck {
		chunk := string(r[start:min(start+MaxCheck, len(r))])
		used := c.token(ctx)
		res, err := c.mp.GetSecurity().MsgCheckContext(ctx, &security.MsgCheckRequest{
			OpenID: openID, Scene: security.MsgScene(scene), Content: chunk, Title: title,
		})
		if res.ErrCode == 87014 {
			return Risky, nil
		}
		code := int(res.ErrCode)
		if code == 0 {
			code = errcodeIn(err)
		}
		c.forgetRejectedToken(ctx, code, used)
		if res.ErrCode != 0 {
			return "", fromErrCode(int(res.ErrCode), err)
		}
		if err != nil {
			return "", ErrUpstream.Wrap(err)
		}
		switch string(res.Result.Suggest) {
		case Risky:
			return Risky, nil
		case Review:
			worst = Review
		}
		if len(r) == 0 {
			break
		}
	}
	return worst, nil
}

func fromErrCode(code int, cause error) error {
	if cause == nil {
		cause = fmt.Errorf("wechat errcode %d", code)
	}
	switch code {
	case 40029, 40163, 40226:
		return ErrBadCode.Wrap(cause)
	case 45009, 45011, -1:
		return ErrRateLimited.Wrap(cause)
	case 87014:
		return ErrRisky.Wrap(cause)
	default:
		return ErrUpstream.Wrap(cause)
	}
}

// APIError is an errcode WeChat answered.
type APIError struct {
	Code int
	Msg  string
}

func (e *APIError) Error() string { return fmt.Sprintf("wechat errcode %d: %s", e.Code, e.Msg) }

// WeChatCode is the errcode (notify.Coded).
func (e *APIError) WeChatCode() int { return e.Code }

// apiError turns silenceper's error into an APIError when it carries an errcode.
func apiError(err error) error {
	var ce *util.CommonError
	if errors.As(err, &ce) {
		return &APIError{Code: int(ce.ErrCode), Msg: ce.ErrMsg}
	}
	return err
}

// SendSubscribe sends a subscribe message (订阅消息) to openID with
// template templateID, opening page in the mini-program (state "formal",
// "trial" or "developer"). A refusal is an *APIError with WeChat's errcode.
func (c *Client) SendSubscribe(ctx context.Context, openID, templateID, page, state string, data map[string]string) error {
	msg := &subscribe.Message{ToUser: openID, TemplateID: templateID, Page: page, MiniprogramState: state,
		Lang: "zh_CN", Data: make(map[string]*subscribe.DataItem, len(data))}
	for k, v := range data {
		msg.Data[k] = &subscribe.DataItem{Value: v}
	}
	used := c.token(ctx)
	done := make(chan error, 1)
	go func() { done <- c.mp.GetSubscribe().Send(msg) }() // silenceper takes no context
	select {
	case err := <-done:
		c.forgetRejectedToken(ctx, errcodeIn(err), used)
		return apiError(err)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WXACodeUnlimit makes a mini-program code (小程序码) opening page with
// scene (at most 32 characters); WeChat answers a JPEG image. The code
// opens the client's CodeVersion (env_version). For the released version
// WeChat checks that page is in it (check_path true, its default): a page
// not released is an error here (41030), not a code that opens nothing.
// For a trial or development build check_path is false: WeChat checks
// pages against the released version only, so a page being tried out
// would be refused.
func (c *Client) WXACodeUnlimit(ctx context.Context, page, scene string, width int) ([]byte, error) {
	b, err := c.wxaCode(ctx, page, scene, width)
	if tokenRefused(errcodeIn(err)) {
		// The token was dropped; one more try with a fresh one, so a screen
		// shows the code rather than an error when another process's token
		// fetch revoked ours.
		b, err = c.wxaCode(ctx, page, scene, width)
	}
	if err != nil {
		return nil, ErrUpstream.Wrap(err)
	}
	return b, nil
}

// coder is the request for a code opening page with scene.
func (c *Client) coder(page, scene string, width int) qrcode.QRCoder {
	q := qrcode.QRCoder{Page: page, Scene: scene, Width: width, EnvVersion: c.codeVersion}
	if c.codeVersion != Release {
		checkPath := false
		q.CheckPath = &checkPath
	}
	return q
}

// wxaCode asks for one code; a refused token is dropped.
func (c *Client) wxaCode(ctx context.Context, page, scene string, width int) ([]byte, error) {
	used := c.token(ctx)
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() { // silenceper takes no context
		b, err := c.mp.GetQRCode().GetWXACodeUnlimit(c.coder(page, scene, width))
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		c.forgetRejectedToken(ctx, errcodeIn(r.err), used)
		return r.b, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

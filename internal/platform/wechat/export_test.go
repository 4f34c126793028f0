package wechat

import "context"

// ForgetRejectedToken is what a call that used token does when WeChat
// refuses it with errcode.
func (c *Client) ForgetRejectedToken(ctx context.Context, errcode int, token string) {
	c.forgetRejectedToken(ctx, errcode, token)
}

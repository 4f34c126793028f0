package demo

import (
	"context"
	"fmt"

	"linli/internal/account"
	"linli/internal/activity"
	"linli/internal/actor"
	"linli/internal/message"
	"linli/internal/party"
	"linli/internal/platform/clock"
	"linli/internal/wish"
)

// Services are what the demo's wishes, messages and activities go through.
type Services struct {
	Accounts   *account.Service
	Wishes     *wish.Service
	Messages   *message.Service
	Activities *activity.Service
	Party      *party.Service
	Clock      clock.Clock
}

// loadActivity gives the demo street some life, each thing in a different
// state, so that every screen of the mini-program has something to show:
// wishes pending review, open in the feed and claimed; messages waiting in
// a queue, answered, and resolved with a rating.
func loadActivity(ctx context.Context, s Services) error {
	who := func(openID string) (actor.Actor, error) { return s.Accounts.EnsureUser(ctx, openID, "") }
	people := map[string]actor.Actor{}
	for _, id := range []string{"dev-resident-1", "dev-resident-2", "dev-resident-3", "dev-volunteer-1",
		"dev-secretary-xfl", "dev-grid-xfl-1", "dev-grid-xfl-2", "dev-grid-hp-1"} {
		a, err := who(id)
		if err != nil {
			return err
		}
		people[id] = a
	}
	secretary := people["dev-secretary-xfl"]

	// Micro-wishes.
	glasses, err := s.Wishes.Post(ctx, people["dev-resident-1"], wish.Draft{
		Title: "想要一副老花镜", Description: "眼睛花了，看报纸、看药盒说明都很吃力，想要一副 300 度的老花镜。",
		Category: wish.CategoryItem, EstimatedValue: 80,
	})
	if err != nil {
		return fmt.Errorf("wish: %w", err)
	}
	if _, err := s.Wishes.Approve(ctx, secretary, glasses.ID); err != nil {
		return fmt.Errorf("approve: %w", err)
	}
	lamp, err := s.Wishes.Post(ctx, people["dev-resident-2"], wish.Draft{
		Title: "台灯坏了，想请人修一修", Description: "家里的台灯不亮了，可能是开关坏了，晚上看书不方便。",
		Category: wish.CategoryService,
	})
	if err != nil {
		return fmt.Errorf("wish: %w", err)
	}
	if _, err := s.Wishes.Approve(ctx, secretary, lamp.ID); err != nil {
		return fmt.Errorf("approve: %w", err)
	}
	if _, err := s.Wishes.Claim(ctx, people["dev-volunteer-1"], lamp.ID); err != nil {
		return fmt.Errorf("claim: %w", err)
	}
	if _, err := s.Wishes.Post(ctx, people["dev-grid-xfl-1"], wish.Draft{
		Title: "为独居的王奶奶添一件冬衣", Description: "王奶奶独居，冬天的棉衣已经很旧了，想为她添一件厚实的冬衣（女款，L 码）。",
		Category: wish.CategoryItem, BeneficiaryName: "王秀兰", EstimatedValue: 150, CommunityID: secretary.CommunityIDs[0],
	}); err != nil {
		return fmt.Errorf("wish on behalf: %w", err)
	}

	// Resident messages.
	if _, err := s.Messages.Submit(ctx, people["dev-resident-1"], message.Draft{
		Category: "物业维修", Content: "1号楼三单元的楼道灯坏了好几天，晚上上下楼很黑，老人容易摔倒。",
	}); err != nil {
		return fmt.Errorf("message: %w", err)
	}
	parking, err := s.Messages.Submit(ctx, people["dev-resident-2"], message.Draft{
		Category: "停车", Content: "小区东门口每天晚上都有车乱停，把消防通道堵住了。",
	})
	if err != nil {
		return fmt.Errorf("message: %w", err)
	}
	grid2 := people["dev-grid-xfl-2"]
	if _, _, err := s.Messages.Accept(ctx, grid2, parking.ID); err != nil {
		return fmt.Errorf("accept: %w", err)
	}
	if _, _, err := s.Messages.Reply(ctx, grid2, parking.ID, "您好，已收到。今晚我会和物业一起去东门查看，并在消防通道处设置提示牌。", nil, false); err != nil {
		return fmt.Errorf("reply: %w", err)
	}
	noise, err := s.Messages.Submit(ctx, people["dev-resident-3"], message.Draft{
		Category: "噪音扰民", Content: "楼上住户最近每天晚上十一点以后还在装修，影响休息。",
	})
	if err != nil {
		return fmt.Errorf("message: %w", err)
	}
	hp := people["dev-grid-hp-1"]
	if _, _, err := s.Messages.Accept(ctx, hp, noise.ID); err != nil {
		return fmt.Errorf("accept: %w", err)
	}
	if _, _, err := s.Messages.Reply(ctx, hp, noise.ID, "您好，我已上门与楼上住户沟通，对方承诺晚上十点后停止施工。", nil, false); err != nil {
		return fmt.Errorf("reply: %w", err)
	}
	if _, _, err := s.Messages.Resolve(ctx, hp, noise.ID, "已协调装修住户调整施工时间，晚上十点后不再施工。"); err != nil {
		return fmt.Errorf("resolve: %w", err)
	}
	if _, _, err := s.Messages.Rate(ctx, people["dev-resident-3"], noise.ID, message.RatingInput{
		Solved: true, Satisfaction: message.Satisfied, Comment: "处理得很及时，谢谢刘网格员！",
	}); err != nil {
		return fmt.Errorf("rate: %w", err)
	}
	return nil
}

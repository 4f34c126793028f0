package handlers

import (
	"github.com/labstack/echo/v4"

	"linli/handlers/console"
	"linli/internal/wish"
)

// routes is the whole API on one screen. Every route here is described in
// api/openapi.yaml (a test holds the two together).
func (s *server) routes(e *echo.Echo) {
	e.GET("/healthz", healthz)
	e.GET("/readyz", readyz(s.Ready))
	e.GET("/openapi.yaml", s.openapi)

	v1 := e.Group("/api/v1")
	idem := idempotency(s.Redis, s.App.Idempotency, s.now, s.Log)

	// Public.
	login := v1.Group("/auth", rateLimit(s.limiter, s.Log, "login", s.LoginRateLimit, false), idem)
	login.POST("/wechat-login", s.wechatLogin)
	login.POST("/dev-login", s.devLogin)
	v1.GET("/communities", s.listCommunities)
	v1.GET("/wishes", s.wishFeed)

	// Signed in.
	in := v1.Group("", requireAuth(s.App.Accounts), rateLimit(s.limiter, s.Log, "write", s.RateLimit, true), idem)
	in.GET("/me", s.me)
	in.PUT("/me/home", s.setHome)
	in.PUT("/me/profile", s.setProfile)
	in.POST("/me/staff-invites/redeem", s.redeemInvite)
	in.GET("/me/notifications", s.listNotifications)
	in.POST("/me/notifications/:id/read", s.readNotification)
	in.POST("/me/volunteer", s.becomeVolunteer)
	in.GET("/me/service-record", s.serviceRecord)

	// Micro-wishes.
	in.POST("/wishes", s.postWish)
	in.GET("/wishes/mine", s.myWishes)
	in.GET("/wishes/:id", s.getWish)
	in.POST("/wishes/:id/claim", s.wishStep((*wish.Service).Claim))
	in.POST("/wishes/:id/release", s.wishStep((*wish.Service).Release))
	in.POST("/wishes/:id/fulfil", s.fulfilWish)
	in.POST("/wishes/:id/confirm", s.wishStep((*wish.Service).Confirm))
	in.GET("/communities/:id/wish-settings", s.wishSettings)
	in.GET("/staff/wishes", s.staffWishes)
	in.POST("/staff/wishes/:id/approve", s.wishStep((*wish.Service).Approve))
	in.POST("/staff/wishes/:id/reject", s.rejectWish)
	in.PUT("/staff/communities/:id/wish-settings", s.setWishSettings)

	// Community activities (党群服务中心活动); the feed is public, like the wish feed.
	v1.GET("/activities", s.activityFeed)
	in.GET("/activities/mine", s.myActivities)
	in.GET("/activities/:id", s.getActivity)
	in.POST("/activities/:id/signup", s.signUpActivity)
	in.DELETE("/activities/:id/signup", s.leaveActivity)
	in.POST("/activities/:id/checkin", s.checkInActivity)
	in.POST("/staff/activities", s.createActivity)
	in.GET("/staff/activities", s.staffActivities)
	in.PUT("/staff/activities/:id", s.editActivity)
	in.POST("/staff/activities/:id/cancel", s.cancelActivity)
	in.GET("/staff/activities/:id/signups", s.activitySignups)
	in.GET("/staff/activities/:id/checkin-code", s.activityCheckinCode)
	in.GET("/staff/activities/:id/attendance", s.activityAttendance)
	in.POST("/staff/activities/:id/attendance/:userId", s.markPresent)

	// Street-level administration.
	in.POST("/admin/communities", s.createCommunity)
	in.POST("/admin/communities/:id/grids", s.createGrid)
	in.POST("/admin/grids/:id/buildings", s.createBuilding)
	in.POST("/admin/staff", s.createStaff)
	in.GET("/admin/staff", s.listStaff)
	in.POST("/admin/staff/:id/deactivate", s.deactivateStaff)
	in.POST("/admin/staff/:id/secretary", s.setSecretary)
	in.POST("/admin/departments", s.createDepartment)
	in.GET("/admin/departments", s.listDepartments)
	in.PUT("/admin/departments/:id", s.updateDepartment)

	// Resident messages (接诉即办).
	in.POST("/messages", s.createMessage)
	in.GET("/messages/mine", s.myMessages)
	in.GET("/messages/:id", s.getMessage)
	in.POST("/messages/:id/follow-ups", s.followUp)
	in.POST("/messages/:id/rating", s.rateMessage)
	in.GET("/communities/:id/message-config", s.messageConfig)

	// Staff backlog queues and the three rates (三率).
	in.GET("/staff/queue", s.staffQueue)
	in.GET("/staff/messages/:id", s.staffMessage)
	in.POST("/staff/messages/:id/accept", s.acceptMessage)
	in.POST("/staff/messages/:id/replies", s.replyMessage)
	in.POST("/staff/messages/:id/resolve", s.resolveMessage)
	in.POST("/staff/messages/:id/transfer", s.transferMessage)
	in.POST("/staff/messages/:id/escalate", s.escalateMessage)
	in.POST("/staff/messages/:id/escalations/:escalationId/answer", s.recordAnswer)
	in.POST("/staff/messages/:id/classify", s.classifyMessage)
	in.PUT("/staff/communities/:id/message-config", s.setMessageConfig)
	in.GET("/staff/stats", s.staffStats)

	// The staff console (/console), the front door (/) and the API
	// reference (/docs): server-rendered pages, see handlers/console. The
	// mini-program approves a console sign-in it scanned.
	console.Mount(e, console.Deps{Log: s.Log, App: s.App, StatusOf: StatusOf,
		LoginLimit: rateLimit(s.limiter, s.Log, "login", s.LoginRateLimit, false)})
	in.POST("/staff/console-sessions/:code/approve", s.approveConsoleSession)

	// Notifications: the inbox over the outbox, WeChat subscribe credits.
	in.POST("/me/notifications/read-all", s.readAllNotifications)
	in.POST("/me/subscriptions", s.subscribe)
	// A fulfilment note WeChat sent to a person: staff publish or withhold it.
	in.POST("/staff/wishes/:id/fulfilment-note/moderate", s.moderateNote)

	// Party members serve where they live (党员双报到): registration,
	// service points and check-ins, hours, the leaderboard, evaluation and
	// the roster for the work unit.
	in.POST("/party/registration", s.partyRegister)
	in.GET("/party/registration", s.partyRegistration)
	in.POST("/party/registration/withdraw", s.partyWithdraw)
	in.GET("/party/me", s.partyMe)
	in.POST("/party/checkins", s.partyCheckIn)
	in.POST("/party/checkins/:id/checkout", s.partyCheckout)
	in.GET("/communities/:id/party/leaderboard", s.partyLeaderboard)
	in.GET("/communities/:id/party-settings", s.partySettings)
	in.PUT("/staff/communities/:id/party-settings", s.setPartySettings)
	in.GET("/staff/party/registrations", s.staffPartyRegistrations)
	in.POST("/staff/party/registrations/:id/approve", s.approvePartyRegistration)
	in.POST("/staff/party/registrations/:id/reject", s.rejectPartyRegistration)
	in.PUT("/staff/party/members/:id/grid", s.setPartyMemberGrid)
	in.PUT("/staff/party/members/:id/evaluations/:year", s.evaluatePartyMember)
	in.GET("/staff/party/members", s.partyMembers)
	in.GET("/staff/party/stats", s.partyStats)
	in.POST("/staff/party/service-points", s.createServicePoint)
	in.GET("/staff/party/service-points", s.servicePoints)
	in.GET("/staff/party/service-points/:id/checkin-code", s.checkinCode)
	in.GET("/staff/party/checkins", s.staffCheckins)
	in.POST("/staff/party/checkins/:id/review", s.reviewCheckin)

	// Check-in codes as mini-program codes (小程序码, see handlers/qrcode.go):
	// the image of an activity's or a service point's current check-in
	// code (the code is the scene), and checking in at an activity by a
	// scanned code alone (the code names its activity). Echo matches the
	// static /activities/checkin before /activities/:id.
	in.POST("/activities/checkin", s.checkInActivityByCode)
	in.GET("/staff/activities/:id/qrcode.png", s.activityQRCode)
	in.GET("/staff/party/service-points/:id/qrcode.png", s.servicePointQRCode)
}

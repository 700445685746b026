package budgets

import "github.com/docent-bot/docent/bot/module"

// Config limits LLM use per UTC day; 0 means no limit. Admins write it
// as llm.budget (Section), where it was before it became a module.
type Config struct {
	MemberRequests  int `yaml:"member_requests"`  // LLM answers per member
	MemberTokens    int `yaml:"member_tokens"`    // tokens per member
	ChannelRequests int `yaml:"channel_requests"` // LLM answers per channel
	ChannelTokens   int `yaml:"channel_tokens"`   // tokens per channel
	DailyTokens     int `yaml:"daily_tokens"`     // tokens for everyone together
}

// validate checks the limits, whether or not the LLM is enabled.
func (cfg Config) validate(c *module.Check) {
	for _, f := range []struct {
		field string
		v     int
	}{{"member_requests", cfg.MemberRequests}, {"member_tokens", cfg.MemberTokens},
		{"channel_requests", cfg.ChannelRequests}, {"channel_tokens", cfg.ChannelTokens}, {"daily_tokens", cfg.DailyTokens}} {
		if f.v < 0 {
			c.Errorf(f.field, "must be 0 (no limit) or more, got %s", c.Show(f.field, f.v))
		}
	}
}

package redact

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
)

// rule finds one family of secrets. gate is a cheap test that the text could
// hold one at all, so that a question without secrets runs almost no regular
// expression; scan reports each secret's range and kind.
type rule struct {
	gate func(text string, s sketch) bool
	scan func(text string, found *findings)
}

// rules in order of precedence: when two claim the same bytes, the earlier
// (more specific) names them.
var rules = []rule{
	{ // PEM blocks; a pasted key often lacks its END line, so the base64
		// lines after BEGIN count too.
		gate: func(t string, _ sketch) bool { return strings.Contains(t, "PRIVATE KEY") },
		scan: regexScan(regexp.MustCompile(
			`-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----`+
				`(?:[\s\S]*?-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----`+
				`|(?:\s*[A-Za-z-]+:[^\n]*|\s*[A-Za-z0-9+/=]{16,})*(?:\s*[A-Za-z0-9+/]{1,15}={1,2})?)`),
			nil, nil, fixed("private-key")),
	},
	{ // JWTs and Discord bot tokens: three dot-separated base64url parts,
		// told apart from domain names and version numbers by decoding.
		gate: func(t string, s sketch) bool { return s.longestRun >= 15 && strings.Contains(t, ".") },
		scan: scanDotted,
	},
	{ // GitHub: https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/
		gate: func(t string, s sketch) bool {
			return s.longestRun >= 40 && (strings.Contains(t, "gh") || strings.Contains(t, "github_pat_"))
		},
		scan: regexScan(regexp.MustCompile(
			`gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59,221}`),
			isTokenByte, isTokenByte, fixed("github-token")),
	},
	{ // Slack incoming webhooks and workflow triggers.
		gate: func(t string, _ sketch) bool { return strings.Contains(t, "hooks.slack.com/") },
		scan: regexScan(regexp.MustCompile(
			`(?:https?://)?hooks\.slack\.com/(?:services/T[A-Za-z0-9]+/B[A-Za-z0-9]+/[A-Za-z0-9]+|(?:workflows|triggers)/T[A-Za-z0-9]+/[A-Za-z0-9/]+)`),
			nil, isTokenByte, fixed("slack-webhook")),
	},
	{ // Discord webhooks: the URL alone lets anyone post.
		gate: func(t string, _ sketch) bool { return strings.Contains(t, "/webhooks/") },
		scan: regexScan(regexp.MustCompile(
			`(?:https?://)?(?:(?:canary|ptb)\.)?discord(?:app)?\.com/api(?:/v[0-9]+)?/webhooks/[0-9]+/[A-Za-z0-9_-]+`),
			nil, isTokenByte, fixed("discord-webhook")),
	},
	{ // Slack tokens: xoxb- bot, xoxp- user, xoxa-/xoxr-/xoxs-/xoxe- legacy,
		// refresh and session, xapp- app-level.
		gate: func(t string, _ sketch) bool { return strings.Contains(t, "xox") || strings.Contains(t, "xapp-") },
		scan: regexScan(regexp.MustCompile(
			`xox[abeoprs]-[0-9]{1,16}-[0-9A-Za-z-]{8,}|xapp-[0-9]+-[A-Za-z0-9]+-[0-9]+-[A-Za-z0-9]+`),
			isTokenByte, isTokenByte, fixed("slack-token")),
	},
	{ // Anthropic: sk-ant-api03-..., sk-ant-admin01-...
		gate: func(t string, _ sketch) bool { return strings.Contains(t, "sk-ant-") },
		scan: regexScan(regexp.MustCompile(`sk-ant-[a-z]+[0-9]*-[A-Za-z0-9_-]{20,}`),
			isTokenByte, isTokenByte, fixed("anthropic-key")),
	},
	{ // OpenAI: sk-proj-, sk-svcacct-, sk-admin- and the older sk- + 48.
		gate: func(t string, _ sketch) bool { return strings.Contains(t, "sk-") },
		scan: regexScan(regexp.MustCompile(`sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|[A-Za-z0-9]{20,})`),
			isTokenByte, isTokenByte, func(t string, start, end int) string {
				if !mixed(t[start+3 : end]) { // "sk-" + a long word is not a key
					return ""
				}
				return "openai-key"
			}),
	},
	{ // AWS access key IDs: long-term AKIA, temporary ASIA, and two rarer prefixes.
		gate: func(t string, s sketch) bool {
			return s.longestRun >= 20 && (strings.Contains(t, "AKIA") || strings.Contains(t, "ASIA") ||
				strings.Contains(t, "ABIA") || strings.Contains(t, "ACCA"))
		},
		scan: regexScan(regexp.MustCompile(`(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}`),
			isTokenByte, isTokenByte, fixed("aws-access-key")),
	},
	{ // Google API keys.
		gate: func(t string, _ sketch) bool { return strings.Contains(t, "AIza") },
		scan: regexScan(regexp.MustCompile(`AIza[0-9A-Za-z_-]{35}`), isTokenByte, isTokenByte, fixed("google-api-key")),
	},
	{ // The other providers' tokens with a prefix of their own: GitLab,
		// Stripe, npm, PyPI, Hugging Face, Vault and more (tokens.go).
		gate: func(_ string, s sketch) bool { return s.longestRun >= 16 },
		scan: scanTokens,
	},
	{ // Azure AD client secrets: three characters, a digit, "Q~" and 31 to 34 more.
		gate: func(t string, s sketch) bool { return s.rare && s.longestRun >= 16 && strings.Contains(t, "Q~") },
		scan: regexScan(regexp.MustCompile(`[a-zA-Z0-9_~.]{3}[0-9]Q~[a-zA-Z0-9_~.-]{31,34}`),
			isSecretByte, isSecretByte, fixed("azure-secret")),
	},
	{ // Microsoft Teams incoming webhooks.
		gate: func(t string, s sketch) bool { return s.at && strings.Contains(t, ".webhook.office.com/") },
		scan: regexScan(regexp.MustCompile(
			`https://[a-z0-9]+\.webhook\.office\.com/webhookb2/[a-z0-9-]{36}@[a-z0-9-]{36}/IncomingWebhook/[a-z0-9]{32}/[a-z0-9-]{36}`),
			nil, isTokenByte, fixed("teams-webhook")),
	},
	{ // Terraform Cloud / HashiCorp API tokens.
		gate: func(t string, s sketch) bool { return s.longestRun >= 60 && strings.Contains(t, ".atlasv1.") },
		scan: regexScan(regexp.MustCompile(`[a-zA-Z0-9]{14}\.atlasv1\.[a-zA-Z0-9_=-]{60,70}`),
			isTokenByte, isTokenByte, fixed("terraform-token")),
	},
	{ // MaxMind license keys end in _mmk.
		gate: func(t string, s sketch) bool { return s.longestRun >= 40 && strings.Contains(t, "_mmk") },
		scan: regexScan(regexp.MustCompile(`[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk`),
			isTokenByte, isTokenByte, fixed("maxmind-key")),
	},
	{ // Facebook app access tokens: the app ID, "|" and the app secret.
		gate: func(t string, s sketch) bool {
			return s.rare && s.longestRun >= 27 && (strings.Contains(t, "|") || strings.Contains(t, "%7C"))
		},
		scan: regexScan(regexp.MustCompile(`[0-9]{15,16}(?:\||%7C)[0-9a-zA-Z_-]{27,40}`),
			isTokenByte, isTokenByte, fixed("facebook-token")),
	},
	{ // NuGet.config: <add key="ClearTextPassword" value="..." />
		gate: func(t string, s sketch) bool { return s.rare && strings.Contains(t, "<add key=") },
		scan: regexScan(regexp.MustCompile(`(?i)<add key="(?:cleartext)?password"\s*value="([^"\n]{8,})"\s*/>`),
			nil, nil, func(t string, start, end int) string {
				if placeholderValue(t[start:end]) {
					return ""
				}
				return "password-setting"
			}),
	},
	{ // curl -u user:password
		gate: func(t string, s sketch) bool {
			return s.dashU && s.equals && strings.Contains(t, "curl")
		},
		scan: regexScan(regexp.MustCompile(`\bcurl\b[^\n]*?[ \t](?:-u|--user)(?:=|[ \t]{1,5})["']?[^\s:"']{1,100}:([^\s"']{3,})`),
			nil, nil, func(t string, start, end int) string {
				if placeholderValue(t[start:end]) {
					return ""
				}
				return "password-setting"
			}),
	},
	{ // AWS secret keys have no prefix: only a label says what 40 base64
		// characters are.
		gate: func(t string, s sketch) bool { return s.equals && secretWord.in(t) },
		scan: regexScan(regexp.MustCompile(
			`(?i)(?:aws_?)?secret_?access_?key["']?[ \t]*(?:=>|=|:)[ \t]*["']?([A-Za-z0-9/+]{40})`),
			nil, isBase64Byte, fixed("aws-secret-key")),
	},
	{ // scheme://user:password@host; the password may hold '@', so it runs
		// to the last '@' of the authority.
		gate: func(t string, s sketch) bool { return s.at && strings.Contains(t, "://") },
		scan: regexScan(regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@\[\]]*:([^\s/?#]+)@[A-Za-z0-9\[]`),
			nil, nil, func(t string, start, end int) string {
				if placeholderValue(t[start:end]) {
					return ""
				}
				return "url-password"
			}),
	},
	{ // Authorization headers and bearer tokens, as pasted from curl.
		gate: func(t string, _ sketch) bool { return bearerWord.in(t) || authorizationWord.in(t) },
		scan: regexScan(regexp.MustCompile(
			`(?i)\bauthorization["']?[ \t]*[:=][ \t]*["']?(?:bearer|basic|token|bot)[ \t]+([A-Za-z0-9._~+/-]+=*)`+
				`|\bbearer[ \t]+([A-Za-z0-9._~+/-]{16,}=*)`),
			nil, nil, func(t string, start, end int) string {
				if placeholderValue(t[start:end]) {
					return ""
				}
				return "auth-header"
			}),
	},
	{ // password=..., token: ..., "api_key": "...", --password ...
		gate: func(_ string, s sketch) bool { return s.equals },
		scan: scanSettings,
	},
	{ // Email addresses.
		gate: func(_ string, s sketch) bool { return s.at },
		scan: regexScan(regexp.MustCompile(
			`[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,63}`),
			isTokenByte, isTokenByte, checkEmail),
	},
}

var (
	secretWord        = cases("secret")
	bearerWord        = cases("bearer")
	authorizationWord = cases("authorization")
)

// regexScan reports the matches of re, or of its first participating group
// when it has groups. A match whose neighbour on the left (right) is a byte
// for which left (right) is true is part of something longer: not reported. check gives the
// kind, or "" to reject.
func regexScan(re *regexp.Regexp, left, right func(byte) bool, check func(text string, start, end int) string) func(string, *findings) {
	return func(text string, found *findings) {
		for _, m := range re.FindAllStringSubmatchIndex(text, -1) {
			start, end := m[0], m[1]
			for g := 2; g+1 < len(m); g += 2 {
				if m[g] >= 0 {
					start, end = m[g], m[g+1]
					break
				}
			}
			if start == end {
				continue
			}
			if left != nil && start > 0 && left(text[start-1]) || right != nil && end < len(text) && right(text[end]) {
				continue
			}
			if kind := check(text, start, end); kind != "" {
				found.add(start, end, kind)
			}
		}
	}
}

func fixed(kind string) func(string, int, int) string {
	return func(string, int, int) string { return kind }
}

// isSecretByte: token bytes and the '.' and '~' some secrets hold.
func isSecretByte(c byte) bool { return isTokenByte(c) || c == '.' || c == '~' }

func isBase64Byte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '='
}

// mixed reports whether s has an upper-case letter, a lower-case letter and
// a digit, as random keys do and words and slugs mostly do not.
func mixed(s string) bool {
	var up, low, digit bool
	for i := 0; i < len(s); i++ {
		c := s[i]
		up = up || 'A' <= c && c <= 'Z'
		low = low || 'a' <= c && c <= 'z'
		digit = digit || '0' <= c && c <= '9'
	}
	return up && low && digit
}

func checkEmail(t string, start, end int) string {
	// In scheme://user:pass@host the URL rule has the password; an email
	// starting after ':' is that password, unless it follows mailto:. After
	// "//" it is a user name and a host.
	if start > 0 && t[start-1] == ':' && !strings.HasSuffix(strings.ToLower(t[max(0, start-7):start]), "mailto:") ||
		strings.HasSuffix(t[:start], "//") {
		return ""
	}
	if strings.HasPrefix(t[start:end], "git@") { // git@github.com:org/repo is an SSH remote
		return ""
	}
	return "email"
}

// scanDotted finds three base64url parts joined by single dots and keeps
// those that decode as a JWT or a Discord bot token. A rejected candidate's
// first part may be a word glued on by a dot ("v1.<jwt>"), so the next try
// starts at its second part: each part is looked at no more than three times.
func scanDotted(text string, found *findings) {
	run := func(i int) int { // end of the run of token bytes at i
		for i < len(text) && isTokenByte(text[i]) {
			i++
		}
		return i
	}
	for i := 0; i < len(text); {
		if !isTokenByte(text[i]) {
			i++
			continue
		}
		s1, e1 := i, run(i)
		i = e1
		if e1+1 >= len(text) || text[e1] != '.' {
			continue
		}
		s2, e2 := e1+1, run(e1+1)
		i = s2
		if e2 == s2 || e2 >= len(text) || text[e2] != '.' {
			continue
		}
		s3, e3 := e2+1, run(e2+1)
		first, second, third := text[s1:e1], text[s2:e2], text[s3:e3]
		switch {
		case isJWT(first, second):
			found.add(s1, e3, "jwt")
			i = e3
		case isDiscordToken(first, second, third):
			found.add(s1, e3, "discord-token")
			i = e3
		}
	}
}

// isJWT: the header is base64url JSON naming its algorithm ({"alg":...}),
// the payload is base64url; the signature may be empty (alg none).
func isJWT(header, payload string) bool {
	if len(header) < 15 || !strings.HasPrefix(header, "eyJ") || len(payload) < 2 {
		return false
	}
	h, err := base64.RawURLEncoding.DecodeString(header)
	if err != nil {
		return false
	}
	if _, err := base64.RawURLEncoding.DecodeString(payload); err != nil {
		return false
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(h, &fields) != nil {
		return false
	}
	_, ok := fields["alg"]
	return ok
}

// isDiscordToken: the first part is the bot's user ID (a snowflake of 17 to
// 20 digits) in base64, then a 6-character timestamp and an HMAC.
func isDiscordToken(id, stamp, hmac string) bool {
	if len(id) < 23 || len(id) > 28 || len(stamp) < 6 || len(stamp) > 7 || len(hmac) < 27 || len(hmac) > 40 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(b) < 17 || len(b) > 20 || b[0] == '0' {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

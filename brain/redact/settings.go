package redact

import (
	"regexp"
	"strings"
)

// A setting's key ends with one of these words: DB_PASSWORD, passwd,
// client_secret, GITHUB_TOKEN, apiKey, x-api-key, --password. "tokens" or
// "passwordless" do not qualify: the key must end where the separator starts.
var settingWords = []string{
	"password", "passwd", "passphrase", "pwd", "secret", "token",
	"apikey", "api_key", "api-key", "accesskey", "access_key", "access-key",
	"privatekey", "private_key", "private-key", "authkey", "auth_key", "auth-key",
}

// A quoted value (with backslash escapes in double quotes), or a bare one.
const (
	doubleQuoted = `"((?:[^"\\\n]|\\.)+)"`
	singleQuoted = `'([^'\n]+)'`
)

// What may follow a key, anchored at the end of the key. The value is group
// 1 (double-quoted), 2 (single-quoted) or 3 (bare), unless said otherwise.
var (
	// password=hunter2, ?api_key=abc&x=1, passwd:x
	afterKeyTight = regexp.MustCompile(`^(?:=|:)(?:` + doubleQuoted + `|` + singleQuoted + `|([^\s"'&=][^\s"'&]*))`)
	// password = "x", authToken: 'x': spaced, so only a quoted value counts.
	afterKeySpaced = regexp.MustCompile(`^[ \t]*(?:=|:)[ \t]*(?:` + doubleQuoted + `|` + singleQuoted + `)`)
	// A YAML, env or ini line ("  password: hunter2 # comment"): a bare
	// value must end the line, which tells "password: hunter2" from
	// "Password: how do I reset it?".
	afterKeyLine = regexp.MustCompile(`^[ \t]*(?:=|:)[ \t]*(?:` + doubleQuoted + `|` + singleQuoted +
		`|([^\s"'=][^\s"']*)[ \t]*(?:#[^\n]*)?\r?(?:\n|$))`)
	// JSON, Python, Ruby, after the closing quote: "password": "x", 'token' => 'x'
	afterQuotedKey = regexp.MustCompile(`^[ \t]*(?:=>|:|=)[ \t]*(?:` + doubleQuoted + `|` + singleQuoted + `|([^\s"',}\]]+))`)
	// a header in quotes: -H "X-Api-Key: abc123"
	afterHeaderKey = regexp.MustCompile(`^:[ \t]*([^\s"']+)["']`)
	// command lines: --password hunter2, --api-key=abc
	afterFlag = regexp.MustCompile(`^(?:=|[ \t]+)(?:` + doubleQuoted + `|` + singleQuoted + `|([^\s"'-][^\s"']*))`)
	// what may stand before a key at the start of a line
	lineIndent = regexp.MustCompile(`(?i)^[ \t]*(?:-[ \t]+)?(?:(?:export|set)[ \t]+)?$`)
)

// scanSettings looks at every word (a run of letters, digits and _.-) that
// ends with a setting word, and matches what follows it. Only the few such
// keys run a regular expression, each anchored, so the cost is linear.
func scanSettings(text string, found *findings) {
	examined := 0 // keys inside a value already looked at are part of it
	for j := 0; j < len(text); j++ {
		if !isKeyByte(text[j]) || j+1 < len(text) && isKeyByte(text[j+1]) {
			continue
		}
		end := j + 1 // a word ends here
		if !endsWithSettingWord(text[:end]) {
			continue
		}
		start := end
		for start > 0 && isKeyByte(text[start-1]) {
			start--
		}
		if start < examined {
			continue
		}
		key := text[start:end]
		// try matches what follows the key at text[at:]; group bare (if
		// not 0) is an unquoted value, the others quoted ones.
		try := func(re *regexp.Regexp, at, bare int, wholeLine bool) {
			m := re.FindStringSubmatchIndex(text[at:])
			if m == nil {
				return
			}
			for g := 1; 2*g+1 < len(m); g++ {
				if m[2*g] < 0 {
					continue
				}
				vs, ve := at+m[2*g], at+m[2*g+1]
				examined = max(examined, ve)
				if g == bare {
					if wholeLine && strings.ContainsAny(text[ve-1:ve], ",;") {
						return // code, not a setting: Password: cfg.Pass,
					}
					ve = vs + len(strings.TrimRight(text[vs:ve], ".,;:)]}>"))
				}
				if vs < ve && secretValue(key, text[vs:ve], g == bare) {
					found.add(vs, ve, settingKind(key))
				}
				return
			}
		}
		quoted := start > 0 && (text[start-1] == '"' || text[start-1] == '\'')
		switch {
		case strings.HasPrefix(key, "--"):
			key = strings.TrimLeft(key, "-")
			try(afterFlag, end, 3, false)
		case quoted && end < len(text) && text[end] == text[start-1]:
			try(afterQuotedKey, end+1, 3, false)
		default:
			if quoted {
				try(afterHeaderKey, end, 1, false)
			}
			try(afterKeyTight, end, 3, false)
			try(afterKeySpaced, end, 0, false)
			window := max(0, start-64)
			if nl := strings.LastIndexByte(text[window:start], '\n'); nl >= 0 || window == 0 {
				if lineIndent.MatchString(text[window+nl+1 : start]) {
					try(afterKeyLine, end, 3, true)
				}
			}
		}
	}
}

// isKeyByte: the bytes of a setting's name.
func isKeyByte(c byte) bool { return isTokenByte(c) || c == '.' }

func endsWithSettingWord(s string) bool {
	if len(s) < 3 {
		return false
	}
	// Most words are ruled out by their last three letters.
	switch string([]byte{lower(s[len(s)-3]), lower(s[len(s)-2]), lower(s[len(s)-1])}) {
	case "ord", "swd", "ase", "pwd", "ret", "ken", "key":
	default:
		return false
	}
	for _, w := range settingWords {
		if len(s) >= len(w) && strings.EqualFold(s[len(s)-len(w):], w) {
			return true
		}
	}
	return false
}

func settingKind(key string) string {
	k := strings.ToLower(key)
	for _, w := range []string{"password", "passwd", "passphrase", "pwd"} {
		if strings.HasSuffix(k, w) {
			return "password-setting"
		}
	}
	return "secret-setting"
}

// secretValue tells a secret from what stands in for one: a variable, a
// placeholder, a type, an empty value, the key's own name, or code.
func secretValue(key, v string, bare bool) bool {
	if placeholderValue(v) {
		return false
	}
	switch strings.ToLower(v) {
	case "null", "nil", "none", "true", "false", "undefined", "required", "optional",
		"str", "string", "bytes", "secretstr", "any", "number":
		return false
	}
	if bare && strings.ContainsRune(v, '(') { // getpass(), os.Getenv("PW")
		return false
	}
	if strings.HasSuffix(strings.ToLower(key), "pwd") && (v[0] == '/' || v[0] == '~') {
		return false // PWD=/home/me is the working directory
	}
	// token: token, password = self.password, apiKey: process.env.API_KEY
	k, w := squash(key), squash(v)
	return w == "" || !strings.HasSuffix(k, w) && !strings.HasSuffix(w, k)
}

// placeholderValue: [redacted ...] (so that redacting twice changes
// nothing), $VAR, ${VAR}, %VAR%, {{ .Var }}, <your-token>, ***, xxx, ...
func placeholderValue(v string) bool {
	if v == "" || strings.HasPrefix(v, "[redacted") || strings.HasPrefix(v, "{{") ||
		strings.ContainsRune("$%<", rune(v[0])) {
		return true
	}
	return strings.Trim(v, "*.") == "" || strings.Trim(v, "xX") == ""
}

// squash lower-cases s and drops separators, so that API_KEY and apiKey and
// api-key compare equal.
func squash(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '_', '-', '.':
		default:
			b.WriteByte(lower(c))
		}
	}
	return b.String()
}

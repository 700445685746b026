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
		strong, weak := settingWord(text[:end])
		if !strong && !weak {
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
		try := func(re *regexp.Regexp, at, bare int, wholeLine bool) bool {
			m := re.FindStringSubmatchIndex(text[at:])
			if m == nil {
				return false
			}
			for g := 1; 2*g+1 < len(m); g++ {
				if m[2*g] < 0 {
					continue
				}
				vs, ve := at+m[2*g], at+m[2*g+1]
				examined = max(examined, ve)
				if g == bare {
					if wholeLine && strings.ContainsAny(text[ve-1:ve], ",;") {
						return true // code, not a setting: Password: cfg.Pass,
					}
					ve = vs + len(strings.TrimRight(text[vs:ve], ".,;:)]}>"))
				}
				if vs < ve && secretValue(key, text[vs:ve], g == bare) && (strong || randomValue(text[vs:ve])) {
					found.add(vs, ve, settingKind(key))
				}
				return true
			}
			return true
		}
		quoted := start > 0 && (text[start-1] == '"' || text[start-1] == '\'')
		switch {
		case strings.HasPrefix(key, "--"):
			key = strings.TrimLeft(key, "-")
			try(afterFlag, end, 3, false)
		case quoted && end < len(text) && text[end] == text[start-1]:
			try(afterQuotedKey, end+1, 3, false)
		default:
			matched := quoted && try(afterHeaderKey, end, 1, false)
			matched = try(afterKeyTight, end, 3, false) || matched
			matched = try(afterKeySpaced, end, 0, false) || matched
			window := max(0, start-64)
			if nl := strings.LastIndexByte(text[window:start], '\n'); nl >= 0 || window == 0 {
				if lineIndent.MatchString(text[window+nl+1 : start]) {
					matched = try(afterKeyLine, end, 3, true) || matched
				}
			}
			// "my password: hunter2 in config.yaml": inside a sentence only
			// a value that does not read as a word counts.
			if vs, ve := proseValue(text, end); !matched && strong && vs < ve {
				examined = max(examined, ve)
				if v := text[vs:ve]; passwordLike(v) && secretValue(key, v, true) {
					found.add(vs, ve, settingKind(key))
				}
			}
		}
	}
}

// isKeyByte: the bytes of a setting's name.
func isKeyByte(c byte) bool { return isTokenByte(c) || c == '.' }

// settingWord tells whether a word ends with a setting word (strong), or
// with a weak one such as ALGOLIA_KEY, stripeKey, key or credentials, which
// names a secret only when its value looks random.
func settingWord(s string) (strong, weak bool) {
	if len(s) < 3 {
		return false, false
	}
	// Most words are ruled out by their last three letters.
	switch string([]byte{lower(s[len(s)-3]), lower(s[len(s)-2]), lower(s[len(s)-1])}) {
	case "ord", "swd", "ase", "pwd", "ret", "ken":
	case "key":
		weak = endsWithWeakWord(s)
	case "ial", "als", "eds":
		return false, endsWithWeakWord(s)
	default:
		return false, false
	}
	for _, w := range settingWords {
		if len(s) >= len(w) && strings.EqualFold(s[len(s)-len(w):], w) {
			return true, false
		}
	}
	return false, weak
}

// endsWithWeakWord: the key ends with key, credential(s) or creds as a
// word of its own.
func endsWithWeakWord(s string) bool {
	for _, w := range []string{"key", "credential", "credentials", "creds"} {
		if len(s) < len(w) || !strings.EqualFold(s[len(s)-len(w):], w) {
			continue
		}
		i := len(s) - len(w)
		if i == 0 || strings.IndexByte("_-.", s[i-1]) >= 0 || 'a' <= s[i-1] && s[i-1] <= 'z' && 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// randomValue: what a weak key's value must look like to be a secret: 16
// or more characters, letters and digits, as varied as random keys are.
func randomValue(v string) bool {
	var letter, digit bool
	for i := 0; i < len(v); i++ {
		c := v[i]
		letter = letter || 'a' <= lower(c) && lower(c) <= 'z'
		digit = digit || '0' <= c && c <= '9'
		if c == ' ' {
			return false
		}
	}
	return len(v) >= 16 && letter && digit && entropy(v) >= 3.5
}

// proseValue finds the value after a key in a sentence ("the password:
// hunter2 does not work"): a colon, blanks and a word, without its
// trailing punctuation. vs == ve when there is none.
func proseValue(text string, end int) (vs, ve int) {
	if end+1 >= len(text) || text[end] != ':' || text[end+1] != ' ' && text[end+1] != '\t' {
		return 0, 0
	}
	vs = end + 1
	for vs < len(text) && (text[vs] == ' ' || text[vs] == '\t') {
		vs++
	}
	ve = vs
	for ve < len(text) && text[ve] > ' ' && strings.IndexByte("\"'<>=\x7f", text[ve]) < 0 {
		ve++
	}
	return vs, vs + len(strings.TrimRight(text[vs:ve], ".,;:)]}>"))
}

// passwordLike: a value in a sentence that does not read as a word: six or
// more characters with a digit or a symbol.
func passwordLike(v string) bool {
	return len(v) >= 6 && strings.ContainsAny(v, "0123456789!@#$%^&*+=~?")
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

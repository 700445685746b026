package redact

import (
	"regexp"
	"strings"
)

// A setting's key ends with one of these words: DB_PASSWORD, passwd,
// client_secret, GITHUB_TOKEN, apiKey, x-api-key. "tokens" or "passwordless"
// do not qualify, since the key must end where the separator starts.
const settingKey = `[A-Za-z0-9_.-]*(?:passw(?:or)?d|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|auth[_-]?key)`

// A quoted value (with backslash escapes in double quotes) or a bare one.
const (
	doubleQuoted = `"((?:[^"\\\n]|\\.)+)"`
	singleQuoted = `'([^'\n]+)'`
)

// The forms a setting takes in chat. Each has the key as group 1 and the
// value as one of groups 2 to 4: double-quoted, single-quoted, unquoted.
var settingForms = []struct {
	re *regexp.Regexp
	// line: the key starts a line and a bare value must end it (a YAML or
	// env line), which tells "password: hunter2" from "Password: how do I
	// reset it?".
	line bool
}{
	{ // password=hunter2, ?api_key=abc&x=1, passwd:x
		re: regexp.MustCompile(`(?i)(` + settingKey + `)(?:=|:)(?:` + doubleQuoted + `|` + singleQuoted + `|([^\s"'&=][^\s"'&]*))`),
	},
	{ // code and prose, when the value is quoted: password = "x", authToken: 'x'
		re: regexp.MustCompile(`(?i)(` + settingKey + `)[ \t]*(?:=|:)[ \t]*(?:` + doubleQuoted + `|` + singleQuoted + `)`),
	},
	{ // YAML, env files, ini: "  password: hunter2", "export API_KEY = abc"
		re: regexp.MustCompile(`(?im)^[ \t]*(?:-[ \t]+)?(?:export[ \t]+|set[ \t]+)?(` + settingKey + `)[ \t]*(?:=|:)[ \t]*(?:` +
			doubleQuoted + `|` + singleQuoted + `|([^\s"'=][^\s"']*)[ \t]*(?:#[^\n]*)?\r?$)`),
		line: true,
	},
	{ // JSON, Python, Ruby: "password": "x", 'token' => 'x'
		re: regexp.MustCompile(`(?i)["'](` + settingKey + `)["'][ \t]*(?:=>|:|=)[ \t]*(?:` + doubleQuoted + `|` + singleQuoted + `|([^\s"',}\]]+))`),
	},
	{ // command lines: --password hunter2, --api-key=abc
		re: regexp.MustCompile(`(?i)--(` + settingKey + `)(?:=|[ \t]+)(?:` + doubleQuoted + `|` + singleQuoted + `|([^\s"'-][^\s"']*))`),
	},
}

func scanSettings(text string, emit func(int, int, string)) {
	for _, form := range settingForms {
		for _, m := range form.re.FindAllStringSubmatchIndex(text, -1) {
			key := text[m[2]:m[3]]
			start, end, bare := -1, -1, false
			for g := 2; g < len(m)/2; g++ {
				if m[2*g] >= 0 {
					start, end, bare = m[2*g], m[2*g+1], g == 4
					break
				}
			}
			if bare {
				if form.line && strings.ContainsAny(text[end-1:end], ",;") { // code: Password: cfg.Pass,
					continue
				}
				end = start + len(strings.TrimRight(text[start:end], ".,;:)]}>"))
			}
			if start == end || !secretValue(key, text[start:end], bare) {
				continue
			}
			emit(start, end, settingKind(key))
		}
	}
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
	if settingKind(key) == "password-setting" && strings.HasSuffix(strings.ToLower(key), "pwd") &&
		(v[0] == '/' || v[0] == '~') { // PWD=/home/me is the working directory
		return false
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

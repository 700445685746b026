package config

import (
	"strconv"
	"strings"
)

// expandEnv replaces ${NAME} and ${NAME:-default} in s, and $$ by $.
// A $ followed by anything else stays as it is. It returns the names of the
// variables it used, and one message per problem.
//
// Messages name variables but never show their values: values are secrets
// (tokens, API keys) and error messages end up in logs and chat.
func expandEnv(s string, getenv func(string) (string, bool)) (out string, vars []string, problems []string) {
	if !strings.Contains(s, "$") {
		return s, nil, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c != '$' || i+1 == len(s) {
			b.WriteByte(c)
			i++
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i += 2
			continue
		case '{':
		default:
			b.WriteByte('$')
			i++
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			problems = append(problems, `unterminated "${": add the closing "}" (write $$ for a literal $)`)
			return "", vars, problems
		}
		expr := s[i+2 : i+2+end]
		i += 2 + end + 1
		name, def, hasDef := strings.Cut(expr, ":-")
		if !validEnvName(name) {
			problems = append(problems, "invalid environment variable name "+strconv.Quote(name)+
				" in ${"+expr+"}: use letters, digits and _ (and ${NAME:-default} for a default)")
			continue
		}
		if hasDef && strings.Contains(def, "${") {
			problems = append(problems, "${...} inside the default of ${"+name+":-...} is not supported")
			continue
		}
		vars = append(vars, name)
		val, ok := getenv(name)
		switch {
		case hasDef && val == "":
			val = def
		case !ok:
			problems = append(problems, "environment variable "+name+" is not set")
			continue
		}
		b.WriteString(val)
	}
	if len(problems) > 0 {
		return "", vars, problems
	}
	return b.String(), vars, nil
}

func validEnvName(name string) bool {
	if name == "" || '0' <= name[0] && name[0] <= '9' {
		return false
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// fromEnv is the subject of a message about a value that came (partly) from
// the environment: "value from ${A}" or "value from ${A}, ${B}".
func fromEnv(vars []string) string {
	seen := make(map[string]bool, len(vars))
	var names []string
	for _, v := range vars {
		if !seen[v] {
			seen[v] = true
			names = append(names, "${"+v+"}")
		}
	}
	return "value from " + strings.Join(names, ", ")
}

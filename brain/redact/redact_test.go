package redact

import (
	"encoding/base64"
	"reflect"
	"strings"
	"testing"
)

// The fake secrets below have the right shape but are put together at run
// time, so that no scanner mistakes this file for a leak.

// noise returns n letters and digits of both cases, like a random key.
func noise(n int) string {
	const alphabet = "Zx9Qw2Er7Ty4Ui1Op6As3Df8Gh5Jk0LmNb"
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteByte(alphabet[(i*7+3)%len(alphabet)])
	}
	return b.String()
}

func b64url(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

var (
	githubClassic = "ghp" + "_" + noise(36)
	githubOAuth   = "gho" + "_" + noise(36)
	githubApp     = "ghs" + "_" + noise(36)
	githubFine    = "github" + "_pat_" + noise(22) + "_" + noise(59)
	slackBot      = "xox" + "b-1234567890123-1234567890123-" + noise(24)
	slackUser     = "xox" + "p-1234567890-1234567890123-1234567890123-" + strings.Repeat("a1b2c3d4", 4)
	slackApp      = "xa" + "pp-1-A0123ABCDEF-1234567890123-" + strings.Repeat("0a1b2c3d", 8)
	slackHook     = "https://hooks.slack.com/services/" + "T0ABCDEFG/B0ABCDEFG/" + noise(24)
	discordBot    = b64url("123456789012345678") + ".GhIjKl." + noise(38)
	discordHook   = "https://discord.com/api/webhooks/" + "123456789012345678/" + noise(30) + "-_" + noise(36)
	openaiLegacy  = "sk" + "-" + noise(20) + "T3BlbkFJ" + noise(20)
	openaiProject = "sk" + "-proj-" + noise(60) + "_" + noise(40) + "-" + noise(50)
	anthropicKey  = "sk" + "-ant-api03-" + noise(93) + "AA"
	awsAccessKey  = "AK" + "IA" + "Z7Q2EXAMPLE4KEY0"
	awsSecretKey  = noise(20) + "/" + noise(10) + "+" + noise(8)
	googleKey     = "AI" + "za" + noise(33) + "-_"
	jwt           = b64url(`{"alg":"HS256","typ":"JWT"}`) + "." + b64url(`{"sub":"1234567890","name":"Ann"}`) + "." + noise(43)
	privateKey    = "-----BEGIN " + "RSA PRIVATE KEY-----\n" + noise(64) + "\n" + noise(64) + "\n" + noise(20) + "==\n-----END RSA PRIVATE KEY-----"
)

func TestRedact(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  string
		kinds []string
	}{
		{"github classic", "my token is " + githubClassic + ", is that bad?",
			"my token is [redacted github-token], is that bad?", []string{"github-token"}},
		{"github oauth and app", "gh auth says " + githubOAuth + " and the app uses " + githubApp,
			"gh auth says [redacted github-token] and the app uses [redacted github-token]", []string{"github-token", "github-token"}},
		{"github fine-grained", "export GH=" + githubFine,
			"export GH=[redacted github-token]", []string{"github-token"}},
		{"github in env setting", "GITHUB_TOKEN=" + githubClassic,
			"GITHUB_TOKEN=[redacted github-token]", []string{"github-token"}},
		{"slack bot", "SLACK: " + slackBot + "\nwhy 401?",
			"SLACK: [redacted slack-token]\nwhy 401?", []string{"slack-token"}},
		{"slack user", "`" + slackUser + "`", "`[redacted slack-token]`", []string{"slack-token"}},
		{"slack app-level", "app token " + slackApp, "app token [redacted slack-token]", []string{"slack-token"}},
		{"slack webhook", "curl -X POST " + slackHook + " -d '{}'",
			"curl -X POST [redacted slack-webhook] -d '{}'", []string{"slack-webhook"}},
		{"discord bot token", "client.login('" + discordBot + "')",
			"client.login('[redacted discord-token]')", []string{"discord-token"}},
		{"discord webhook", "<" + discordHook + ">", "<[redacted discord-webhook]>", []string{"discord-webhook"}},
		{"openai legacy", "OPENAI_API_KEY=" + openaiLegacy,
			"OPENAI_API_KEY=[redacted openai-key]", []string{"openai-key"}},
		{"openai project", "key: " + openaiProject + " (new one)",
			"key: [redacted openai-key] (new one)", []string{"openai-key"}},
		{"anthropic", "client = Anthropic(api_key=\"" + anthropicKey + "\")",
			"client = Anthropic(api_key=\"[redacted anthropic-key]\")", []string{"anthropic-key"}},
		{"aws access key id", "aws_access_key_id = " + awsAccessKey,
			"aws_access_key_id = [redacted aws-access-key]", []string{"aws-access-key"}},
		{"aws secret key labelled", "[default]\naws_secret_access_key = " + awsSecretKey + "\n",
			"[default]\naws_secret_access_key = [redacted aws-secret-key]\n", []string{"aws-secret-key"}},
		{"aws secret key in JSON", `{"SecretAccessKey": "` + awsSecretKey + `"}`,
			`{"SecretAccessKey": "[redacted aws-secret-key]"}`, []string{"aws-secret-key"}},
		{"google api key", "https://maps.googleapis.com/maps/api/js?key=" + googleKey + "&callback=init",
			"https://maps.googleapis.com/maps/api/js?key=[redacted google-api-key]&callback=init", []string{"google-api-key"}},
		{"jwt", "the API returns " + jwt + ". Is it valid?",
			"the API returns [redacted jwt]. Is it valid?", []string{"jwt"}},
		{"jwt unsigned", "alg none: " + b64url(`{"alg":"none"}`) + "." + b64url(`{"sub":"x"}`) + ".",
			"alg none: [redacted jwt]", []string{"jwt"}},
		{"jwt in bearer header", `curl -H "Authorization: Bearer ` + jwt + `" https://api.example.com`,
			`curl -H "Authorization: Bearer [redacted jwt]" https://api.example.com`, []string{"jwt"}},
		{"jwt glued after a dot", "v1." + jwt, "v1.[redacted jwt]", []string{"jwt"}},
		{"bearer token", "Authorization: Bearer " + strings.Repeat("abc123", 5),
			"Authorization: Bearer [redacted auth-header]", []string{"auth-header"}},
		{"basic auth header", "-H 'Authorization: Basic " + b64url("ann:hunter2") + "'",
			"-H 'Authorization: Basic [redacted auth-header]'", []string{"auth-header"}},
		{"private key block", "here is my key:\n" + privateKey + "\nwhat is wrong?",
			"here is my key:\n[redacted private-key]\nwhat is wrong?", []string{"private-key"}},
		{"private key on one line", "-----BEGIN " + "OPENSSH PRIVATE KEY----- " + noise(70) + " -----END OPENSSH PRIVATE KEY----- thanks",
			"[redacted private-key] thanks", []string{"private-key"}},
		{"private key without END", "-----BEGIN " + "PRIVATE KEY-----\n" + noise(64) + "\n" + noise(12) + "=\n\nit stops there",
			"[redacted private-key]\n\nit stops there", []string{"private-key"}},
		{"url password", "DATABASE_URL=postgres://app:s3cr3t@db.internal:5432/app?sslmode=disable",
			"DATABASE_URL=postgres://app:[redacted password]@db.internal:5432/app?sslmode=disable", []string{"url-password"}},
		{"url password with @", "git clone https://ann:p@ss:w0rd@git.example.com/repo.git",
			"git clone https://ann:[redacted password]@git.example.com/repo.git", []string{"url-password"}},
		{"url password without user", "redis://:hunter2@localhost:6379/0",
			"redis://:[redacted password]@localhost:6379/0", []string{"url-password"}},
		{"password= env", "DB_PASSWORD=hunter2 go run .",
			"DB_PASSWORD=[redacted password] go run .", []string{"password-setting"}},
		{"password: yaml", "database:\n  user: app\n  password: hunter2\n  host: db",
			"database:\n  user: app\n  password: [redacted password]\n  host: db", []string{"password-setting"}},
		{"password: yaml quoted with spaces", "password: \"correct horse battery\"",
			"password: \"[redacted password]\"", []string{"password-setting"}},
		{"password yaml with comment", "  password: hunter2 # change me\n",
			"  password: [redacted password] # change me\n", []string{"password-setting"}},
		{"json password", `{"user": "ann", "password": "hunter2"}`,
			`{"user": "ann", "password": "[redacted password]"}`, []string{"password-setting"}},
		{"json escaped quote", `{"password":"a\"b"}`, `{"password":"[redacted password]"}`, []string{"password-setting"}},
		{"python dict", "{'db_password': 'hunter2'}", "{'db_password': '[redacted password]'}", []string{"password-setting"}},
		{"command line flag", "mysql --user=root --password hunter2 -h db",
			"mysql --user=root --password [redacted password] -h db", []string{"password-setting"}},
		{"command line flag with =", "app --api-key=abc123def", "app --api-key=[redacted secret]", []string{"secret-setting"}},
		{"passwd:", "passwd:letmein", "passwd:[redacted password]", []string{"password-setting"}},
		{"pwd=", "login with user=ann pwd=letmein", "login with user=ann pwd=[redacted password]", []string{"password-setting"}},
		{"secret=", "CLIENT_SECRET=abc123", "CLIENT_SECRET=[redacted secret]", []string{"secret-setting"}},
		{"token= in query", "GET /feed?token=abc123&page=2", "GET /feed?token=[redacted secret]&page=2", []string{"secret-setting"}},
		{"api_key=", "api_key=abcdef123456", "api_key=[redacted secret]", []string{"secret-setting"}},
		{"apikey: yaml", "apikey: abcdef123456", "apikey: [redacted secret]", []string{"secret-setting"}},
		{"camelCase key", `const config = { authToken: "abc123" }`, `const config = { authToken: "[redacted secret]" }`, []string{"secret-setting"}},
		{"docker env", `docker run -e "DB_PASSWORD=hunter2" app`, `docker run -e "DB_PASSWORD=[redacted password]" app`, []string{"password-setting"}},
		{"header in quotes", `curl -H 'X-Api-Key: abc123' https://x`, `curl -H 'X-Api-Key: [redacted secret]' https://x`, []string{"secret-setting"}},
		{"setting in a comment", "password: a1 # was token=b2\n", "password: [redacted password] # was token=[redacted secret]\n",
			[]string{"password-setting", "secret-setting"}},
		{"email", "mail me at ann.lee+docent@example.co.uk, thanks",
			"mail me at [redacted email], thanks", []string{"email"}},
		{"mailto", "<mailto:ann@example.com>", "<mailto:[redacted email]>", []string{"email"}},
		{"secret glued to a secret", privateKey + githubClassic + " ok",
			"[redacted private-key][redacted github-token] ok", []string{"private-key", "github-token"}},
		{"several", "user ann@example.com token " + githubClassic + " key " + awsAccessKey,
			"user [redacted email] token [redacted github-token] key [redacted aws-access-key]",
			[]string{"email", "github-token", "aws-access-key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, found := Redact(tt.in)
			if got != tt.want {
				t.Errorf("Redact(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			var kinds []string
			for _, f := range found {
				kinds = append(kinds, f.Kind)
			}
			if !reflect.DeepEqual(kinds, tt.kinds) {
				t.Errorf("kinds = %q, want %q", kinds, tt.kinds)
			}
			checkFindings(t, tt.in, got, found)
		})
	}
}

func TestFindingsAreRangesOfTheOriginal(t *testing.T) {
	in := "a " + githubClassic + " b ann@example.com c"
	_, found := Redact(in)
	want := []Finding{
		{"github-token", 2, 2 + len(githubClassic)},
		{"email", 5 + len(githubClassic), 5 + len(githubClassic) + len("ann@example.com")},
	}
	if !reflect.DeepEqual(found, want) {
		t.Fatalf("found %v, want %v", found, want)
	}
	if in[found[0].Start:found[0].End] != githubClassic {
		t.Errorf("range holds %q", in[found[0].Start:found[0].End])
	}
}

func TestOrdinaryTextIsLeftAlone(t *testing.T) {
	for _, in := range []string{
		"fixed in 3f786850e387550fdab836ed7e6dc881de23001b, see 3f78685",
		"request id 123e4567-e89b-12d3-a456-426614174000",
		"upgrade to v1.22.3-rc.1+build.5 or 2.0.0",
		"<img src=\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==\">",
		"SGVsbG8sIHdvcmxkISBUaGlzIGlzIGp1c3QgYmFzZTY0IHRleHQu",
		"I forgot my password, how do I reset it?",
		"Password: how do I reset it? The token expired too.",
		"What is a bearer token and where does the token go?",
		"Is passwordless login supported? max_tokens=100 is set",
		"API key rotation: how often?",
		"api_key=<your key here> and password=******** and token=$GITHUB_TOKEN",
		"token: ${{ secrets.GITHUB_TOKEN }}",
		"password: ${DB_PASSWORD}",
		"\tToken: token,\n\tPassword: cfg.Password,\n",
		"password := getPassword()\nself.password = password",
		"password: string;\ntoken?: string",
		"os.Getenv(\"GITHUB_TOKEN\") and process.env.OPENAI_API_KEY",
		"PWD=/home/ann/src",
		"git@github.com:docent-bot/docent.git",
		"go get golang.org/x/net@v0.33.0 and npm i @types/node@20.1.0",
		"docker pull alpine@sha256:c5b1261d6d3e43071626931fc004f70149baeba2c8ec672bd4f27761f8e1ad6b",
		"see https://user@example.com/path and http://[::1]:8080/x",
		"pip install scikit-learn; sk-learn is not a package; risk-management-framework-overview",
		"www.example.com and api.v2.example.co.uk and 1.2.3.4",
		"TestRedactFindsEveryKindOfSecretInAVeryLongIdentifierName_and_more",
		"github.com/docent-bot/docent/brain/redact.TestRedact",
		"the ASIA region and AKIA prefixes",
		"你好，我的密码忘了怎么办？ 🔑🔑🔑",
		"```go\nfunc (c *Client) Token() string { return c.token }\n```",
	} {
		if got, found := Redact(in); got != in || found != nil {
			t.Errorf("Redact(%q)\n= %q, %v; want it unchanged", in, got, found)
		}
	}
}

func TestRedactingTwiceChangesNothing(t *testing.T) {
	in := "postgres://u:pw@h/db password=x token: abc " + githubClassic + " " + jwt + " a@b.io\n" + privateKey
	once, _ := Redact(in)
	twice, found := Redact(once)
	if twice != once || found != nil {
		t.Errorf("second pass changed %q\nto %q (%v)", once, twice, found)
	}
}

// checkFindings holds for every text: findings lie in range, in order,
// without overlap; the output is the text with each range replaced by its
// placeholder; no secret of any length survives; a second pass finds nothing.
func checkFindings(t *testing.T, in, out string, found []Finding) {
	t.Helper()
	if len(found) == 0 {
		if out != in {
			t.Fatalf("nothing found but text changed: %q -> %q", in, out)
		}
		return
	}
	var b strings.Builder
	prev := 0
	for _, f := range found {
		if f.Start < prev || f.End <= f.Start || f.End > len(in) {
			t.Fatalf("finding %+v out of order or range (previous end %d, len %d)", f, prev, len(in))
		}
		if f.Kind == "" {
			t.Fatalf("finding %+v has no kind", f)
		}
		b.WriteString(in[prev:f.Start])
		b.WriteString(placeholder(f.Kind))
		prev = f.End
	}
	b.WriteString(in[prev:])
	if b.String() != out {
		t.Fatalf("output is not the text with placeholders:\n got %q\nwant %q", out, b.String())
	}
	// A secret may be spelt like a placeholder's words (pwd=password), so
	// placeholders are masked before looking for it.
	masked := out
	for _, f := range found {
		masked = strings.ReplaceAll(masked, placeholder(f.Kind), "\x00")
	}
	for _, f := range found {
		secret := in[f.Start:f.End]
		if len(secret) >= 8 && strings.Count(in, secret) == 1 && strings.Contains(masked, secret) {
			t.Fatalf("output %q still holds the %s %q", out, f.Kind, secret)
		}
	}
	if again, more := Redact(out); again != out || more != nil {
		t.Fatalf("second pass over %q found %v: %q", out, more, again)
	}
}

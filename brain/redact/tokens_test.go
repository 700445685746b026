package redact

import (
	"strings"
	"testing"
)

// More fake secrets, put together at run time like those in redact_test.go.

// from returns n bytes cycling through alphabet in a scrambled order.
func from(alphabet string, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteByte(alphabet[(i*7+3)%len(alphabet)])
	}
	return b.String()
}

func hex(n int) string     { return from("0a1b2c3d4e5f6789", n) }
func upper(n int) string   { return from("Q7W2E9R4T1Y6U3P8A5S0DFGHJKLZXCVBNM", n) }
func lowerAN(n int) string { return from("q7w2e9r4t1y6u3p8a5s0dfghjklzxcvbnm", n) }
func letters(n int) string { return from("qWeRtYuIoPaSdFgHjKlZxCvBnM", n) }
func uuid() string         { return hex(8) + "-" + hex(4) + "-" + hex(4) + "-" + hex(4) + "-" + hex(12) }

// The token formats of gitleaks' default rules (config/gitleaks.toml):
// one realistic sample each, redacted in a sentence as a member would
// paste it.
var tokenSamples = []struct{ prefix, kind, token string }{
	{"A3-", "1password-key", "A3-" + upper(6) + "-" + upper(11) + "-" + upper(5) + "-" + upper(5) + "-" + upper(5)},
	{"ops_eyJ", "1password-token", "ops" + "_eyJ" + noise(260)},
	{"p8e-", "adobe-secret", "p8e" + "-" + noise(32)},
	{"AGE-SECRET-KEY-1", "age-key", "AGE-SECRET" + "-KEY-1" + from("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58)},
	{"pat", "airtable-token", "pat" + noise(14) + "." + hex(64)},
	{"LTAI", "alibaba-key", "LT" + "AI" + noise(20)},
	{"AKCp", "artifactory-key", "AK" + "Cp" + noise(69)},
	{"cmVmd", "artifactory-key", "cmV" + "md" + noise(59)},
	{"sc_", "authress-key", "sc" + "_" + noise(10) + "." + noise(5) + ".acc_" + lowerAN(20) + "." + lowerAN(40)},
	{"scauth_", "authress-key", "scauth" + "_" + noise(10) + "." + noise(5) + ".acc-" + lowerAN(20) + "." + lowerAN(40)},
	{"ext_", "authress-key", "ext" + "_" + noise(10) + "." + noise(5) + ".acc_" + lowerAN(20) + "." + lowerAN(40)},
	{"authress_", "authress-key", "authress" + "_" + noise(10) + "." + noise(5) + ".acc_" + lowerAN(20) + "." + lowerAN(40)},
	{"ABSK", "aws-bedrock-key", "AB" + "SK" + noise(120)},
	{"bedrock-api-key-", "aws-bedrock-key", "bedrock-api" + "-key-YmVkcm9jay5hbWF6b25hd3MuY29t" + noise(100)},
	{"4b1d", "clickhouse-key", "4b" + "1d" + noise(38)},
	{"CLOJARS_", "clojars-token", "CLOJARS" + "_" + noise(60)},
	{"v1.0-", "cloudflare-key", "v1.0" + "-" + hex(24) + "-" + hex(146)},
	{"dapi", "databricks-token", "da" + "pi" + hex(32)},
	{"doo_v1_", "digitalocean-token", "doo" + "_v1_" + hex(64)},
	{"dop_v1_", "digitalocean-token", "dop" + "_v1_" + hex(64)},
	{"dor_v1_", "digitalocean-token", "dor" + "_v1_" + hex(64)},
	{"dp.pt.", "doppler-token", "dp.pt" + "." + noise(43)},
	{"duffel_", "duffel-token", "duffel" + "_live_" + noise(43)},
	{"dt0c01.", "dynatrace-token", "dt0c01" + "." + noise(24) + "." + noise(64)},
	{"EZAK", "easypost-key", "EZ" + "AK" + noise(54)},
	{"EZTK", "easypost-key", "EZ" + "TK" + noise(54)},
	{"EAA", "facebook-token", "EA" + "AM" + noise(110)},
	{"EAAA", "square-token", "EA" + "AA" + noise(40)},
	{"sq0atp-", "square-token", "sq0atp" + "-" + noise(30)},
	{"FLW", "flutterwave-key", "FLWSECK" + "_TEST-" + from("abcdef0123456789", 32) + "-X"},
	{"fo1_", "flyio-token", "fo1" + "_" + noise(43)},
	{"fm1", "flyio-token", "fm1a" + "_" + noise(120)},
	{"fm2_", "flyio-token", "fm2" + "_" + noise(120)},
	{"fio-u-", "frameio-token", "fio-u" + "-" + noise(64)},
	{"glpat-", "gitlab-token", "glpat" + "-" + noise(20)},
	{"glrt-", "gitlab-token", "glrt" + "-t1_" + noise(27) + "." + lowerAN(9)},
	{"gldt-", "gitlab-token", "gldt" + "-" + noise(20)},
	{"glft-", "gitlab-token", "glft" + "-" + noise(20)},
	{"glffct-", "gitlab-token", "glffct" + "-" + noise(20)},
	{"glsoat-", "gitlab-token", "glsoat" + "-" + noise(20)},
	{"glimt-", "gitlab-token", "glimt" + "-" + noise(25)},
	{"glagent-", "gitlab-token", "glagent" + "-" + noise(50)},
	{"gloas-", "gitlab-token", "gloas" + "-" + noise(64)},
	{"glcbt-", "gitlab-token", "glcbt" + "-64_" + noise(20)},
	{"glptt-", "gitlab-token", "glptt" + "-" + hex(40)},
	{"GR1348941", "gitlab-token", "GR134" + "8941" + noise(20)},
	{"eyJrIjoi", "grafana-token", "eyJr" + "Ijoi" + noise(80)},
	{"glc_", "grafana-token", "glc" + "_" + noise(40)},
	{"glsa_", "grafana-token", "glsa" + "_" + noise(32) + "_" + hex(8)},
	{"pat.", "harness-key", "pat" + "." + noise(22) + "." + noise(24) + "." + noise(20)},
	{"sat.", "harness-key", "sat" + "." + noise(22) + "." + noise(24) + "." + noise(20)},
	{"HRKU-AA", "heroku-key", "HRKU" + "-AA" + noise(58)},
	{"hf_", "huggingface-token", "hf" + "_" + letters(34)},
	{"api_org_", "huggingface-token", "api_org" + "_" + letters(34)},
	{"ico-", "infracost-token", "ico" + "-" + noise(32)},
	{"s-s4t2", "intra42-secret", "s-s4t2" + "ud-" + hex(64)},
	{"lin_api_", "linear-key", "lin_api" + "_" + noise(40)},
	{"ntn_", "notion-token", "ntn" + "_" + "12345678901" + noise(35)},
	{"npm_", "npm-token", "npm" + "_" + noise(36)},
	{"API-", "octopus-key", "API" + "-" + upper(26)},
	{"sha256~", "openshift-token", "sha256" + "~" + noise(43)},
	{"pplx-", "perplexity-key", "pplx" + "-" + noise(48)},
	{"pscale_", "planetscale-token", "pscale" + "_pw_" + noise(43)},
	{"PMAK-", "postman-key", "PMAK" + "-" + hex(24) + "-" + hex(34)},
	{"pnu_", "prefect-token", "pnu" + "_" + noise(36)},
	{"pul-", "pulumi-token", "pul" + "-" + hex(40)},
	{"pypi-AgEIcHlwaS5vcmc", "pypi-token", "pypi" + "-AgEIcHlwaS5vcmc" + noise(60)},
	{"rdme_", "readme-key", "rdme" + "_" + lowerAN(70)},
	{"rubygems_", "rubygems-key", "rubygems" + "_" + hex(48)},
	{"tk-us-", "scalingo-token", "tk-us" + "-" + noise(48)},
	{"SG.", "sendgrid-key", "SG" + "." + noise(22) + "." + noise(43)},
	{"xkeysib-", "sendinblue-key", "xkeysib" + "-" + hex(64) + "-" + noise(16)},
	{"sntryu_", "sentry-token", "sntryu" + "_" + hex(64)},
	{"sntrys_", "sentry-token", "sntrys" + "_eyJpYXQiO" + noise(20) + "LCJyZWdpb25fdXJs" + noise(20) + "_" + noise(43)},
	{"sm_", "settlemint-token", "sm" + "_pat_" + noise(16)},
	{"shippo_", "shippo-token", "shippo" + "_live_" + hex(40)},
	{"shp", "shopify-token", "shpat" + "_" + hex(32)},
	{"sgp_", "sourcegraph-token", "sgp" + "_" + hex(16) + "_" + hex(40)},
	{"sk_", "stripe-key", "sk" + "_live_" + noise(24)},
	{"rk_", "stripe-key", "rk" + "_live_" + noise(24)},
	{"SK", "twilio-key", "SK" + hex(32)},
	{"hvb.", "vault-token", "hvb" + "." + noise(140)},
	{"hvs.", "vault-token", "hvs" + "." + noise(95)},
	{"s.", "vault-token", "s" + "." + noise(24)},
	{"", "telegram-token", "1234567890" + ":AA" + noise(33)},
	// The formats with rules of their own.
	{"Q~", "azure-secret", "Ab1" + "8Q~" + noise(32)},
	{".webhook.office.com/", "teams-webhook", "https://contoso.webhook.office.com/" + "webhookb2/" + uuid() + "@" + uuid() + "/IncomingWebhook/" + hex(32) + "/" + uuid()},
	{".atlasv1.", "terraform-token", noise(14) + ".atlas" + "v1." + noise(65)},
	{"_mmk", "maxmind-key", noise(6) + "_" + noise(29) + "_mmk"},
	{"|", "facebook-token", "1234567890123456" + "|" + noise(32)},
	{"xoxo-", "slack-token", "xox" + "o-1234567890-1234567890-1234567890-" + hex(32)},
}

func TestTokenFormats(t *testing.T) {
	for _, s := range tokenSamples {
		t.Run(s.kind+" "+s.prefix, func(t *testing.T) {
			in := "my key is " + s.token + " and it fails"
			got, found := Redact(in)
			if want := "my key is [redacted " + s.kind + "] and it fails"; got != want {
				t.Errorf("Redact(%q)\n got %q\nwant %q", in, got, want)
			}
			checkFindings(t, in, got, found)
		})
	}
	// A longer word that merely starts like a token is not one.
	for _, in := range []string{"npm" + "_" + noise(37), "SK" + hex(33), "p8e" + "-" + noise(33), "pul" + "-" + hex(41)} {
		if got, _ := Redact(in); got != in {
			t.Errorf("Redact(%q) = %q, want it unchanged", in, got)
		}
	}
	if got, _ := Redact("Cookie: _gitlab_session=" + lowerAN(32)); got != "Cookie: _gitlab_session=[redacted gitlab-token]" {
		t.Errorf("GitLab session cookie: %q", got)
	}
	// Every format of tokens.go has its sample.
	for _, f := range tokenFormats {
		if f.prefix == "_gitlab_session=" {
			continue // above
		}
		ok := false
		for _, s := range tokenSamples {
			ok = ok || s.prefix == f.prefix && s.kind == f.kind
		}
		if !ok {
			t.Errorf("no sample for %s (prefix %q)", f.kind, f.prefix)
		}
	}
}

// Settings and command lines that gitleaks' generic rules find.
func TestSecretsInSettings(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"my config has password: hunter2 in it", "my config has password: [redacted password] in it"},
		{"I use password: Tr0ub4dor&3, but it fails", "I use password: [redacted password], but it fails"},
		{"password: hunter2, but it fails", "password: [redacted password], but it fails"},
		{"ALGOLIA_KEY=" + noise(32), "ALGOLIA_KEY=[redacted secret]"},
		{`const stripeKey = "` + noise(32) + `"`, `const stripeKey = "[redacted secret]"`},
		{"credentials: " + noise(40), "credentials: [redacted secret]"},
		{"curl -u ann:hunter2 https://api.example.org/v1", "curl -u ann:[redacted password] https://api.example.org/v1"},
		{`<add key="ClearTextPassword" value="hunter2hunter2" />`, `<add key="ClearTextPassword" value="[redacted password]" />`},
	} {
		got, found := Redact(tc.in)
		if got != tc.want {
			t.Errorf("Redact(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
		checkFindings(t, tc.in, got, found)
	}
}

// What developers write every day, close to those formats, stays as it is.
func TestDeveloperTextIsLeftAlone(t *testing.T) {
	for _, in := range []string{
		"the SKU is SK-1234 and the binary is in /usr/local/bin",
		"run `npm_config_cache=/tmp/npm npm install` and then `npm run build`",
		"see https://gitlab.com/group/project/-/merge_requests/42 and glpat tokens in the docs",
		"sk_live keys must never be committed; use sk_test keys in development",
		"the publishable key pk_live_" + noise(24) + " is in the page anyway",
		"our key: value store is Redis; primaryKey: id; foreign_key: user_id",
		"cache_key: user_profile_v2",
		"the token: expired after 1h, and the password: Incorrect",
		"my password: is it stored? set the password: Settings > Security",
		"credentials: ~/.aws/credentials and SECRET_KEY_BASE comes from rails secret",
		"commit 3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39 fixed it",
		"image sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		"request 123e4567-e89b-12d3-a456-426614174000 at 2024-05-01T10:00:00Z",
		"the telegram bot id 123456789 is in the URL, port 8080:80",
		"call s.substring(0, 24) then dapi.run() and EAAA.test()",
		"API-docs, API-KEYS and v1.0-beta are released",
		"Use the pattern ^[a-z]+_[0-9]{4}$ and the glob **/*.go",
		"Error: ENOENT: no such file or directory, open '/home/ann/.npmrc'",
		"hf_hub_download(repo_id, filename) works; pnu_ is Prefect's prefix",
		"GitLab Runner: register with --url https://gitlab.example.com and a registration token",
	} {
		if got, found := Redact(in); got != in {
			t.Errorf("Redact(%q)\n= %q (%v), want it unchanged", in, got, found)
		}
	}
}

package redact

import (
	"math"
	"regexp"
	"strings"
)

// tokenFormat is a provider's token with a prefix of its own, after the
// rules of gitleaks' default configuration (config/gitleaks.toml, v8.30):
// the literal prefix finds the candidates, the pattern the whole token.
type tokenFormat struct {
	kind, prefix string
	re           *regexp.Regexp // anchored at the prefix; group 1, when there is one, is the secret
	check        func(token string) bool
}

// tokenFormats lists the formats gitleaks knows by their prefix. Those with
// rules of their own in rules.go (GitHub, Slack, Discord, OpenAI,
// Anthropic, AWS, Google, JWT, private keys) are not repeated here.
var tokenFormats = []tokenFormat{
	tf("1password-key", "A3-", `A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}`),
	tf("1password-token", "ops_eyJ", `ops_eyJ[a-zA-Z0-9+/]{250,}={0,3}`),
	tf("adobe-secret", "p8e-", `p8e-[a-zA-Z0-9]{32}`),
	tf("age-key", "AGE-SECRET-KEY-1", `AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}`),
	tf("airtable-token", "pat", `pat[a-zA-Z0-9]{14}\.[a-f0-9]{64}`),
	tf("alibaba-key", "LTAI", `LTAI[a-zA-Z0-9]{20}`),
	tf("artifactory-key", "AKCp", `AKCp[A-Za-z0-9]{69}`),
	tf("artifactory-key", "cmVmd", `cmVmd[A-Za-z0-9]{59}`),
	tf("authress-key", "sc_", `sc_[a-zA-Z0-9]{5,30}\.[a-zA-Z0-9]{4,6}\.acc[_-][a-z0-9-]{10,32}\.[a-z0-9+/_=-]{30,120}`),
	tf("authress-key", "scauth_", `(?:scauth)_[a-zA-Z0-9]{5,30}\.[a-zA-Z0-9]{4,6}\.acc[_-][a-z0-9-]{10,32}\.[a-z0-9+/_=-]{30,120}`),
	tf("authress-key", "ext_", `ext_[a-zA-Z0-9]{5,30}\.[a-zA-Z0-9]{4,6}\.acc[_-][a-z0-9-]{10,32}\.[a-z0-9+/_=-]{30,120}`),
	tf("authress-key", "authress_", `authress_[a-zA-Z0-9]{5,30}\.[a-zA-Z0-9]{4,6}\.acc[_-][a-z0-9-]{10,32}\.[a-z0-9+/_=-]{30,120}`),
	tf("aws-bedrock-key", "ABSK", `ABSK[A-Za-z0-9+/]{109,269}={0,2}`),
	tf("aws-bedrock-key", "bedrock-api-key-", `bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/=]*`),
	tf("clickhouse-key", "4b1d", `4b1d[A-Za-z0-9]{38}`),
	tf("clojars-token", "CLOJARS_", `CLOJARS_[a-zA-Z0-9]{60}`),
	tf("cloudflare-key", "v1.0-", `v1\.0-[a-f0-9]{24}-[a-f0-9]{146}`),
	tf("databricks-token", "dapi", `dapi[a-f0-9]{32}(?:-[0-9])?`),
	tf("digitalocean-token", "doo_v1_", `doo_v1_[a-f0-9]{64}`),
	tf("digitalocean-token", "dop_v1_", `dop_v1_[a-f0-9]{64}`),
	tf("digitalocean-token", "dor_v1_", `dor_v1_[a-f0-9]{64}`),
	tf("doppler-token", "dp.pt.", `dp\.pt\.[a-zA-Z0-9]{43}`),
	tf("duffel-token", "duffel_", `duffel_(?:test|live)_[a-zA-Z0-9_=-]{43}`),
	tf("dynatrace-token", "dt0c01.", `dt0c01\.[a-zA-Z0-9]{24}\.[a-zA-Z0-9]{64}`),
	tf("easypost-key", "EZAK", `EZAK[a-zA-Z0-9]{54}`),
	tf("easypost-key", "EZTK", `EZTK[a-zA-Z0-9]{54}`),
	tf("facebook-token", "EAA", `EAA[MC][a-zA-Z0-9]{100,}`),
	tf("square-token", "EAAA", `EAAA[\w-]{22,60}`),
	tf("square-token", "sq0atp-", `sq0atp-[\w-]{22,60}`),
	tf("flutterwave-key", "FLW", `FLW(?:SECK|PUBK)_TEST-[a-hA-H0-9]{32}-X|FLWSECK_TEST-[a-hA-H0-9]{12}`),
	tf("flyio-token", "fo1_", `fo1_[\w-]{43}`),
	tf("flyio-token", "fm1", `fm1[ar]_[a-zA-Z0-9+/]{100,}={0,3}`),
	tf("flyio-token", "fm2_", `fm2_[a-zA-Z0-9+/]{100,}={0,3}`),
	tf("frameio-token", "fio-u-", `fio-u-[a-zA-Z0-9_=-]{64}`),
	// GitLab: personal, deploy, feed, runner, CI job, SCIM, OAuth, agent,
	// incoming mail and pipeline trigger tokens, routable or not.
	gitlab("glpat-"), gitlab("glrt-"), gitlab("gldt-"), gitlab("glft-"), gitlab("glffct-"), gitlab("glsoat-"),
	gitlab("glimt-"), gitlab("glagent-"), gitlab("gloas-"), gitlab("glcbt-"),
	tf("gitlab-token", "glptt-", `glptt-[0-9a-f]{40}`),
	tf("gitlab-token", "GR1348941", `GR1348941[\w-]{20}`),
	tf("gitlab-token", "_gitlab_session=", `_gitlab_session=([0-9a-z]{32})`),
	tf("grafana-token", "eyJrIjoi", `eyJrIjoi[A-Za-z0-9]{70,400}={0,3}`),
	tf("grafana-token", "glc_", `glc_[A-Za-z0-9+/]{32,400}={0,3}`),
	tf("grafana-token", "glsa_", `glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}`),
	tf("harness-key", "pat.", `pat\.[\w-]{22}\.[a-zA-Z0-9]{24}\.[a-zA-Z0-9]{20}`),
	tf("harness-key", "sat.", `sat\.[\w-]{22}\.[a-zA-Z0-9]{24}\.[a-zA-Z0-9]{20}`),
	tf("heroku-key", "HRKU-AA", `HRKU-AA[\w-]{58}`),
	tf("huggingface-token", "hf_", `hf_[a-zA-Z]{34}`),
	tf("huggingface-token", "api_org_", `api_org_[a-zA-Z]{34}`),
	tf("infracost-token", "ico-", `ico-[a-zA-Z0-9]{32}`),
	tf("intra42-secret", "s-s4t2", `s-s4t2(?:ud|af)-[a-fA-F0-9]{64}`),
	tf("linear-key", "lin_api_", `lin_api_[a-zA-Z0-9]{40}`),
	tf("notion-token", "ntn_", `ntn_[0-9]{11}[A-Za-z0-9]{35}`),
	tf("npm-token", "npm_", `npm_[a-zA-Z0-9]{36}`),
	tf("octopus-key", "API-", `API-[A-Z0-9]{26}`),
	tf("openshift-token", "sha256~", `sha256~[\w-]{43}`),
	tf("perplexity-key", "pplx-", `pplx-[a-zA-Z0-9]{48}`),
	tf("planetscale-token", "pscale_", `pscale_(?:tkn|oauth|pw)_[\w=.-]{32,64}`),
	tf("postman-key", "PMAK-", `PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}`),
	tf("prefect-token", "pnu_", `pnu_[a-zA-Z0-9]{36}`),
	tf("pulumi-token", "pul-", `pul-[a-f0-9]{40}`),
	tf("pypi-token", "pypi-AgEIcHlwaS5vcmc", `pypi-AgEIcHlwaS5vcmc[\w-]{50,1000}`),
	tf("readme-key", "rdme_", `rdme_[a-z0-9]{70}`),
	tf("rubygems-key", "rubygems_", `rubygems_[a-f0-9]{48}`),
	tf("scalingo-token", "tk-us-", `tk-us-[\w-]{48}`),
	tf("sendgrid-key", "SG.", `SG\.[a-zA-Z0-9=_-]{22}\.[a-zA-Z0-9=_-]{43}`),
	tf("sendinblue-key", "xkeysib-", `xkeysib-[a-f0-9]{64}-[a-zA-Z0-9]{16}`),
	tf("sentry-token", "sntryu_", `sntryu_[a-f0-9]{64}`),
	tf("sentry-token", "sntrys_", `sntrys_eyJpYXQiO[a-zA-Z0-9+/]{10,200}(?:LCJyZWdpb25fdXJs|InJlZ2lvbl91cmwi|cmVnaW9uX3VybCI6)[a-zA-Z0-9+/]{10,200}={0,2}_[a-zA-Z0-9+/]{43}`),
	tf("settlemint-token", "sm_", `sm_(?:aat|pat|sat)_[a-zA-Z0-9]{16}`),
	tf("shippo-token", "shippo_", `shippo_(?:live|test)_[a-fA-F0-9]{40}`),
	tf("shopify-token", "shp", `shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}`),
	tf("sourcegraph-token", "sgp_", `sgp_(?:[a-fA-F0-9]{16}|local)_[a-fA-F0-9]{40}|sgp_[a-fA-F0-9]{40}`),
	// Stripe secret and restricted keys; publishable pk_ keys are public.
	tf("stripe-key", "sk_", `sk_(?:test|live|prod)_[a-zA-Z0-9]{10,99}`),
	tf("stripe-key", "rk_", `rk_(?:test|live|prod)_[a-zA-Z0-9]{10,99}`),
	tf("twilio-key", "SK", `SK[0-9a-fA-F]{32}`),
	tf("vault-token", "hvb.", `hvb\.[\w-]{138,300}`),
	tf("vault-token", "hvs.", `hvs\.[\w-]{90,120}`),
	tfCheck("vault-token", "s.", `s\.[a-zA-Z0-9]{24}`, func(t string) bool { return mixed(t[2:]) }),
	// Telegram bot tokens: the bot's ID, a colon and 35 characters from AA.
	tf("telegram-token", "", `[0-9]{8,10}:AA[\w-]{33}`),
}

func gitlab(prefix string) tokenFormat {
	return tf("gitlab-token", prefix, regexp.QuoteMeta(prefix)+`[\w-]{20,300}(?:\.[0-9a-z]{9})?`)
}

// telegramID: a word of 8 to 10 digits and a colon, checked before the
// pattern is tried at every number.
func telegramID(s string) bool {
	n := 0
	for n < len(s) && n <= 10 && '0' <= s[n] && s[n] <= '9' {
		n++
	}
	return n >= 8 && n <= 10 && n < len(s) && s[n] == ':'
}

func tf(kind, prefix, pattern string) tokenFormat {
	return tokenFormat{kind: kind, prefix: prefix, re: regexp.MustCompile(`^(?:` + pattern + `)`)}
}

func tfCheck(kind, prefix, pattern string, check func(string) bool) tokenFormat {
	f := tf(kind, prefix, pattern)
	f.check = check
	return f
}

// tokenIndex lists, for each byte a token may start with, the formats to
// try there (an empty prefix is tried at every digit); tokenSecond has a
// bit for each byte that may follow it, so that most words cost two
// look-ups.
var tokenIndex, tokenSecond = func() (idx [256][]*tokenFormat, second [256][4]uint64) {
	for i := range tokenFormats {
		f := &tokenFormats[i]
		firsts := []byte("0123456789")
		if f.prefix != "" {
			firsts = []byte{f.prefix[0]}
		}
		for _, c := range firsts {
			idx[c] = append(idx[c], f)
			if len(f.prefix) < 2 {
				second[c] = [4]uint64{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}
				continue
			}
			second[c][f.prefix[1]/64] |= 1 << (f.prefix[1] % 64)
		}
	}
	return idx, second
}()

// maxTokenLen bounds how far a format's pattern looks from its prefix.
const maxTokenLen = 1100

// scanTokens tries the formats whose prefix starts a word, and reports the
// tokens that end where the word does. A word with no format starting with
// its first byte costs one look-up.
func scanTokens(text string, found *findings) {
	for i := 0; i+1 < len(text); {
		if !tokenBytes[text[i]] {
			i++
			continue
		}
		if end := tokenAt(text, i, found); end > i {
			i = end
			continue
		}
		for i < len(text) && tokenBytes[text[i]] { // the rest of the word
			i++
		}
	}
}

// tokenAt reports a token starting at the word start i, if there is one,
// and returns where the token ends (i when there is none).
func tokenAt(text string, i int, found *findings) int {
	if c, d := text[i], text[i+1]; tokenSecond[c][d/64]&(1<<(d%64)) == 0 {
		return i
	}
	for _, f := range tokenIndex[text[i]] {
		if !strings.HasPrefix(text[i:], f.prefix) || f.prefix == "" && !telegramID(text[i:]) {
			continue
		}
		m := f.re.FindStringSubmatchIndex(text[i:min(len(text), i+maxTokenLen)])
		if m == nil {
			continue
		}
		end := i + m[1]
		if end < len(text) && isTokenByte(text[end]) {
			continue // part of something longer
		}
		if f.check != nil && !f.check(text[i:end]) {
			continue
		}
		if len(m) > 2 && m[2] >= 0 {
			found.add(i+m[2], i+m[3], f.kind)
		} else {
			found.add(i, end, f.kind)
		}
		return end
	}
	return i
}

// entropy is the Shannon entropy of s in bits per byte: random keys have
// 4 and more, words and identifiers less.
func entropy(s string) float64 {
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / float64(len(s))
			h -= p * math.Log2(p)
		}
	}
	return h
}

package bot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigValidateEverySection pins every problem validate reports, in
// order, with its file, line, field and message: one config that gets
// every section wrong, and one whose problems fall on the place of a
// section that leaves the field out (where several share a line, their
// order is the order they are checked in).
func TestConfigValidateEverySection(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{{
		name: "every section",
		yaml: `bot:
  name: " "
  command_prefix: "! !"
  timeout: 0s
  shutdown_timeout: -1s
  max_concurrent: 0
  queue_per_conversation: 0
  max_message_bytes: 0
  rate_limit:
    member_per_minute: -1
    channel_per_minute: 5
    channel_burst: 0
  admins: [discord, "slack:U1 x", "slack:U012AB3CD"]
links:
  docs: ftp://example.org
  "a.b": nowhere
  ok: mailto:docs@example.org
store:
  path: nowhere/docent.db
  lock_timeout: 0s
  retention_days: -1
  max_size_mb: -5
brain:
  intents: [intents, missing]
  watch_interval: -1s
  threshold: 2
  margin: -0.5
  classifier:
    hidden: 0
    threads: 999
knowledge:
  folders:
    - path: nodocs
      base_url: example.org
      links: ugly
      trailing_slash: true
      lowercase: true
      anchors: nope
      exclude: ["../up", "[", ok.md]
    - base_url: https://example.org/
    - path: docs
      base_url: https://example.org/docs/
    - path: docs/guide
      base_url: https://example.org/guide/
  min_confidence: 2
  related_confidence: -1
  duplicate_similarity: 3
  related: 4
  results: 0
llm:
  enabled: true
  base_url: https://example.org/v1
  model: m
  timeout: 40s
  max_tokens: 0
  budget:
    member_requests: -1
    daily_tokens: -1
    channel_tokens: 5
  stream_interval: 10ms
  history: 51
adapters:
  console: {enabled: false}
  discord: {enabled: true, help_channels: [general]}
  slack: {enabled: true}
  web: {enabled: true, listen: "nohost"}
log:
  level: loud
  format: xml
challenges:
  attempts: -1
  announce: {slack: general}
`,
		want: []string{
			"DIR/docent.yaml:2:9: bot.name: must not be empty",
			`DIR/docent.yaml:3:19: bot.command_prefix: must be 1 to 8 characters without spaces, like "!" or "?", got "! !"`,
			"DIR/docent.yaml:4:12: bot.timeout: must be more than 0, got 0s",
			"DIR/docent.yaml:5:21: bot.shutdown_timeout: must be more than 0, got -1s",
			"DIR/docent.yaml:6:19: bot.max_concurrent: must be at least 1, got 0",
			"DIR/docent.yaml:7:27: bot.queue_per_conversation: must be at least 1, got 0",
			"DIR/docent.yaml:8:22: bot.max_message_bytes: must be at least 1, got 0",
			"DIR/docent.yaml:10:24: bot.rate_limit.member_per_minute: must be 0 (no limit) or more, got -1",
			"DIR/docent.yaml:12:20: bot.rate_limit.channel_burst: must be at least 1 when bot.rate_limit.channel_per_minute is set, got 0",
			`DIR/docent.yaml:13:12: bot.admins[0]: "discord" is not platform:user-id or platform:role:role-id, like discord:80351110224678912, slack:U012AB3CD or discord:role:41771983423143936`,
			`DIR/docent.yaml:13:21: bot.admins[1]: "slack:U1 x" is not platform:user-id or platform:role:role-id, like discord:80351110224678912, slack:U012AB3CD or discord:role:41771983423143936`,
			`DIR/docent.yaml:15:9: links.docs: "ftp://example.org" is not an absolute http(s) or mailto link`,
			`DIR/docent.yaml:16:10: links["a.b"]: "nowhere" is not an absolute http(s) or mailto link`,
			"DIR/docent.yaml:19:9: store.path: folder DIR/nowhere does not exist",
			"DIR/docent.yaml:20:17: store.lock_timeout: must be more than 0, got 0s",
			"DIR/docent.yaml:21:19: store.retention_days: must be 0 (keep everything) to 36500 days, got -1",
			"DIR/docent.yaml:22:16: store.max_size_mb: must be 0 (no cap) or more, got -5",
			"DIR/docent.yaml:24:22: brain.intents[1]: DIR/missing does not exist",
			"DIR/docent.yaml:25:19: brain.watch_interval: must be 0 (off) or more, got -1s",
			"DIR/docent.yaml:26:14: brain.threshold: must be between 0 and 1, got 2",
			"DIR/docent.yaml:27:11: brain.margin: must be between 0 and 1, got -0.5",
			"DIR/docent.yaml:29:13: brain.classifier.hidden: must be between 1 and 4096, got 0",
			"DIR/docent.yaml:30:14: brain.classifier.threads: must be between 0 (two) and 256, got 999",
			"DIR/docent.yaml:33:13: knowledge.folders[0].path: DIR/nodocs is not a folder",
			`DIR/docent.yaml:34:17: knowledge.folders[0].base_url: "example.org" is not an absolute http(s) link: the address where members read these docs`,
			`DIR/docent.yaml:35:14: knowledge.folders[0].links: must be file (the file's path, as on GitHub) or pretty (no extension, index pages as their folder, as Hugo, VitePress, MkDocs and Sphinx publish), got "ugly"`,
			"DIR/docent.yaml:36:23: knowledge.folders[0].trailing_slash: only shapes pretty links: add links: pretty",
			"DIR/docent.yaml:37:18: knowledge.folders[0].lowercase: only shapes pretty links: add links: pretty",
			`DIR/docent.yaml:38:16: knowledge.folders[0].anchors: must be github (GitHub, Hugo, Docusaurus), vitepress, mkdocs or sphinx, got "nope"`,
			`DIR/docent.yaml:39:17: knowledge.folders[0].exclude[0]: "../up" goes above the docs folder; write a path in the folder, like changelog.md or "blog/**"`,
			`DIR/docent.yaml:39:26: knowledge.folders[0].exclude[1]: "[" is not a glob pattern (syntax error in pattern); write a path in the folder, like changelog.md or "blog/**"`,
			"DIR/docent.yaml:40:7: knowledge.folders[1].path: is required: the folder of docs to search",
			"DIR/docent.yaml:40:7: knowledge.folders[1].path: DIR overlaps knowledge.folders[0] (DIR/nodocs): list each folder once",
			"DIR/docent.yaml:41:13: knowledge.folders[2].path: DIR/docs overlaps knowledge.folders[1] (DIR): list each folder once",
			"DIR/docent.yaml:43:13: knowledge.folders[3].path: DIR/docs/guide overlaps knowledge.folders[1] (DIR): list each folder once",
			"DIR/docent.yaml:43:13: knowledge.folders[3].path: DIR/docs/guide overlaps knowledge.folders[2] (DIR/docs): list each folder once",
			"DIR/docent.yaml:45:19: knowledge.min_confidence: must be between 0 and 1, got 2",
			"DIR/docent.yaml:46:23: knowledge.related_confidence: must be between 0 and 1, got -1",
			"DIR/docent.yaml:47:25: knowledge.duplicate_similarity: must be between 0 and 1, got 3",
			"DIR/docent.yaml:48:12: knowledge.related: must be between 0 and 3, got 4",
			"DIR/docent.yaml:49:12: knowledge.results: must be between 1 and 10, got 0",
			"DIR/docent.yaml:54:12: llm.timeout: 40s must be shorter than bot.timeout (0s), so that the docs answer still fits when the LLM fails",
			"DIR/docent.yaml:55:15: llm.max_tokens: must be between 1 and 1048576, got 0",
			"DIR/docent.yaml:57:22: llm.budget.member_requests: must be 0 (no limit) or more, got -1",
			"DIR/docent.yaml:58:19: llm.budget.daily_tokens: must be 0 (no limit) or more, got -1",
			"DIR/docent.yaml:60:20: llm.stream_interval: must be at least 100ms (platforms limit how often a message may be edited), got 10ms",
			"DIR/docent.yaml:61:12: llm.history: must be between 0 and 50, got 51",
			"DIR/docent.yaml:64:12: adapters.discord.token: is required: write token: ${DISCORD_TOKEN} and set that variable to the bot token from the developer portal",
			`DIR/docent.yaml:64:43: adapters.discord.help_channels: item 1 must be a numeric Discord ID (Developer Mode, right click, Copy ID), got "general"`,
			"DIR/docent.yaml:65:10: adapters.slack.app_token: is required in socket mode: write app_token: ${SLACK_APP_TOKEN} and set that variable to the xapp-… token",
			"DIR/docent.yaml:65:10: adapters.slack.bot_token: is required: write bot_token: ${SLACK_BOT_TOKEN} and set that variable to the xoxb-… token",
			`DIR/docent.yaml:66:32: adapters.web.listen: "nohost" is not host:port, like 127.0.0.1:8080: address nohost: missing port in address`,
			`DIR/docent.yaml:68:10: log.level: must be debug, info, warn or error, got "loud"`,
			`DIR/docent.yaml:69:11: log.format: must be text or json, got "xml"`,
			"DIR/docent.yaml:71:13: challenges.attempts: must be 0 (no limit) to 1000, got -1",
			"DIR/docent.yaml:72:13: challenges.announce: has no effect: challenges are off until challenges.folder names the folder of challenge files",
			`DIR/docent.yaml:72:21: challenges.announce.slack: "general" is not a channel ID such as C0123456789 (in the channel's details), not its name`,
		},
	}, {
		name: "problems where a section leaves its field out",
		yaml: `bot:
  timeout: 5s
brain:
  threshold: 0.5
llm:
  enabled: true
adapters:
  console:
    enabled: false
`,
		want: []string{
			"DIR/docent.yaml:1:1: store.path: folder DIR/data does not exist",
			"DIR/docent.yaml:3:1: brain.intents: is required: list the intent files or folders",
			"DIR/docent.yaml:5:1: llm.base_url: is required: the API root, such as https://api.openai.com/v1 or http://localhost:11434/v1",
			"DIR/docent.yaml:5:1: llm.model: is required: the server's name for the model, such as gpt-4o-mini or llama3.1:8b",
			"DIR/docent.yaml:5:1: llm.timeout: 20s must be shorter than bot.timeout (5s), so that the docs answer still fits when the LLM fails",
			"DIR/docent.yaml:6:12: llm.enabled: the LLM answers from the docs: add knowledge.folders",
			"DIR/docent.yaml:7:1: adapters: no adapter is enabled: enable adapters.console, adapters.discord, adapters.slack or adapters.web",
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, d := range []string{"intents", "docs/guide"} {
				if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			write(t, filepath.Join(dir, "intents", "test.yaml"), testIntents)
			path := filepath.Join(dir, "docent.yaml")
			write(t, path, tc.yaml)
			_, err := LoadConfig(path)
			if err == nil {
				t.Fatal("LoadConfig: no error")
			}
			got := strings.ReplaceAll(err.Error(), dir, "DIR")
			if want := strings.Join(tc.want, "\n"); got != want {
				t.Errorf("errors:\n%s\nwant:\n%s", got, want)
				lines := strings.Split(got, "\n")
				for i := range min(len(lines), len(tc.want)) {
					if lines[i] != tc.want[i] {
						t.Errorf("first difference, line %d:\n%q\nwant\n%q", i+1, lines[i], tc.want[i])
						break
					}
				}
			}
		})
	}
}

// TestConfigPostgres: store.postgres.url is taken from the environment,
// must be a postgres:// URL (the password is not shown when it is not),
// and store.max_size_mb, a bbolt file's cap, is refused beside it.
func TestConfigPostgres(t *testing.T) {
	for _, tc := range []struct {
		name, store, env string
		want             []string // the error's lines; none: loads
	}{
		{name: "from the environment", store: "  postgres:\n    url: ${DOCENT_DATABASE_URL}\n", env: "postgres://docent:s3cret@db.example.org:5432/docent?sslmode=require"},
		{name: "not a URL", store: "  postgres:\n    url: host=db user=docent password=s3cret\n",
			want: []string{`DIR/docent.yaml:6:10: store.postgres.url: must be a postgres://user:password@host/database URL (from ${DOCENT_DATABASE_URL}, say), got a value that is not a URL (not shown: it may hold a password)`}},
		{name: "another scheme", store: "  postgres:\n    url: mysql://docent:s3cret@db/docent\n",
			want: []string{`DIR/docent.yaml:6:10: store.postgres.url: must be a postgres://user:password@host/database URL (from ${DOCENT_DATABASE_URL}, say), got mysql://docent:xxxxx@db/docent`}},
		{name: "password in the query", store: "  postgres:\n    url: mysql://db/docent?password=s3cret\n",
			want: []string{`DIR/docent.yaml:6:10: store.postgres.url: must be a postgres://user:password@host/database URL (from ${DOCENT_DATABASE_URL}, say), got mysql://db/docent?password=xxxxx`}},
		{name: "with a size cap", store: "  max_size_mb: 100\n  postgres:\n    url: postgres://db/docent\n",
			want: []string{"DIR/docent.yaml:5:16: store.max_size_mb: caps the bbolt file, and the history is on PostgreSQL (store.postgres.url): the server's disk and quotas limit its size; set 0, or remove it"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "intents"), 0o755); err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(dir, "intents", "test.yaml"), testIntents)
			path := filepath.Join(dir, "docent.yaml")
			write(t, path, "brain:\n  intents: [intents]\nstore:\n  path: docent.db\n"+tc.store)
			t.Setenv("DOCENT_DATABASE_URL", tc.env)
			cfg, err := LoadConfig(path)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("LoadConfig: %v", err)
				}
				if !cfg.OnPostgres() || cfg.Store.Postgres.URL != tc.env {
					t.Errorf("store.postgres.url = %q (OnPostgres %v), want %q", cfg.Store.Postgres.URL, cfg.OnPostgres(), tc.env)
				}
				return
			}
			if err == nil {
				t.Fatal("LoadConfig: no error")
			}
			got := strings.ReplaceAll(err.Error(), dir, "DIR")
			if want := strings.Join(tc.want, "\n"); got != want {
				t.Errorf("errors:\n%s\nwant:\n%s", got, want)
			}
			if strings.Contains(got, "s3cret") {
				t.Errorf("the error shows the password: %s", got)
			}
		})
	}
}

package deploy

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	composecli "github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/docent-bot/docent/bot"
)

// The compose file of PostgreSQL and three replicas loads with the compose
// specification's own loader (its schema, interpolation, env files), with
// docent.env made from docent.env.example: every variable it needs is
// there. The replicas run the image's command on the config beside it,
// which Docent accepts with those variables and which makes them replicas
// of the database the db service is; no secret is written in the files.
func TestComposeFile(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"compose.yaml", "config.yaml", "nginx.conf", "docent.env.example"} {
		b, err := os.ReadFile(filepath.Join("compose", name))
		if err != nil {
			t.Fatal(err)
		}
		if name != "docent.env.example" {
			for _, line := range strings.Split(string(b), "\n") {
				if m := regexp.MustCompile(`(?i)^\s*-?\s*"?([A-Z_]*(token|key|secret|password)[A-Z_]*)"?\s*[:=]\s*(\S+)`).FindStringSubmatch(line); m != nil && !strings.Contains(m[3], "${") {
					t.Errorf("deploy/compose/%s: %s is written in the file (%q); take it from docent.env", name, m[1], line)
				}
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// docent.env as an admin fills it in from the example, with values
	// of the shapes Docent checks.
	example, _ := os.ReadFile(filepath.Join(dir, "docent.env.example"))
	var env []string
	for _, line := range strings.Split(string(example), "\n") {
		if name, ok := strings.CutSuffix(strings.TrimSpace(line), "="); ok && !strings.HasPrefix(name, "#") {
			value := "filled-in-" + strings.ToLower(name)
			switch name {
			case "SLACK_BOT_TOKEN":
				value = "xoxb-1-2-" + value
			case "SLACK_APP_TOKEN":
				value = "xapp-1-A1-2-" + value
			}
			env = append(env, name+"="+value)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "docent.env"), []byte(strings.Join(env, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := composecli.NewProjectOptions([]string{filepath.Join(dir, "compose.yaml")},
		composecli.WithWorkingDirectory(dir), composecli.WithEnvFiles(filepath.Join(dir, "docent.env")), composecli.WithDotEnv)
	if err != nil {
		t.Fatal(err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("deploy/compose/compose.yaml does not load: %v", err)
	}

	db, ok := project.Services["db"]
	if !ok || !strings.HasPrefix(db.Image, "postgres:") {
		t.Fatalf("no db service running postgres: %+v", db.Image)
	}
	docent, ok := project.Services["docent"]
	if !ok {
		t.Fatal("no docent service")
	}
	if docent.Deploy == nil || docent.Deploy.Replicas == nil || *docent.Deploy.Replicas != 3 {
		t.Errorf("docent service: deploy.replicas is not 3")
	}
	if dep, ok := docent.DependsOn["db"]; !ok || dep.Condition != types.ServiceConditionHealthy {
		t.Errorf("docent service does not wait for db to be healthy: %+v", docent.DependsOn)
	}
	if docent.Build == nil || docent.Build.Dockerfile != "deploy/container/Dockerfile" {
		t.Errorf("docent service is not built from deploy/container/Dockerfile: %+v", docent.Build)
	}
	mounted := ""
	for _, v := range docent.Volumes {
		if v.Target == "/etc/docent/config.yaml" {
			mounted = v.Source
			if !v.ReadOnly {
				t.Error("the config is mounted writable; mount it :ro")
			}
		}
	}
	if mounted != filepath.Join(dir, "config.yaml") {
		t.Fatalf("docent service mounts %q at /etc/docent/config.yaml (the image's DOCENT_CONFIG), want deploy/compose/config.yaml", mounted)
	}
	checkArgs(t, "deploy/compose/compose.yaml: docent", docent.Command)

	// The replicas' environment, as compose gives it to them.
	url := docent.Environment["DOCENT_DATABASE_URL"]
	if url == nil || !strings.HasPrefix(*url, "postgres://docent:filled-in-docent_db_password@db:5432/docent") {
		t.Errorf("DOCENT_DATABASE_URL = %v, want the db service's database with docent.env's password", url)
	}
	for name, v := range docent.Environment {
		if v != nil {
			t.Setenv(name, *v)
		}
	}
	cfg, err := bot.LoadConfigFS(os.DirFS(dir), "config.yaml", "deploy/compose/config.yaml",
		bot.WithStarterIntents(os.DirFS(repoRoot), "intents"))
	if err != nil {
		t.Fatalf("Docent refuses the replicas' config: %v", err)
	}
	if !cfg.Store.Postgres.Replicas || cfg.Store.Postgres.URL != *url {
		t.Errorf("the config does not make the replicas share DOCENT_DATABASE_URL: replicas %v, url %q", cfg.Store.Postgres.Replicas, cfg.Store.Postgres.URL)
	}
	if cfg.Adapters.Console.Enabled {
		t.Error("the console is on in a container (no terminal)")
	}
	if !cfg.Adapters.Web.Enabled || !strings.HasPrefix(cfg.Adapters.Web.Listen, "0.0.0.0:") {
		t.Errorf("the web chat is not served on the container's interfaces: %+v", cfg.Adapters.Web)
	}

	lb, ok := project.Services["lb"]
	if !ok {
		t.Fatal("no lb service in front of the replicas' web chat")
	}
	conf, _ := os.ReadFile(filepath.Join(dir, "nginx.conf"))
	port := cfg.Adapters.Web.Listen[strings.LastIndex(cfg.Adapters.Web.Listen, ":")+1:]
	if !strings.Contains(string(conf), "server docent:"+port) {
		t.Errorf("nginx.conf does not send visitors to the docent service's port %s", port)
	}
	if !slices.ContainsFunc(lb.Ports, func(p types.ServicePortConfig) bool { return p.Published != "" }) {
		t.Error("lb publishes no port")
	}
}

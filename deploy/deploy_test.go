// Package deploy holds what admins deploy Docent with (the systemd unit,
// the container image's Dockerfiles, the compose file of PostgreSQL and
// three replicas) and the tests that keep them, and
// the deploy guide's commands, true to the docent binary they run.
package deploy

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/docent-bot/docent/bot"
	"github.com/docent-bot/docent/cli"
)

// repoRoot is the repository's root, for the default assets and the docs.
const repoRoot = ".."

// checkArgs reports what in args (a docent command line without the
// program's name, as a unit, an image or the guide runs it) is no command
// of docent's, or no option of that command: so that they cannot rot
// when the command line changes.
func checkArgs(t *testing.T, where string, args []string) {
	t.Helper()
	var words []string // the command's words: those before the first option or argument
	for _, a := range args {
		if !regexp.MustCompile(`^[a-z][a-z-]*$`).MatchString(a) || len(words) == 3 {
			break
		}
		words = append(words, a)
	}
	help := func(words []string) (string, bool) {
		var out, errb strings.Builder
		env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Defaults: os.DirFS(repoRoot)}
		code := env.Run(cli.Commands(), append([]string{"help"}, words...))
		return out.String(), code == 0
	}
	usage, n := "", 0
	for k := len(words); k > 0; k-- {
		if u, ok := help(words[:k]); ok {
			usage, n = u, k
			break
		}
	}
	if n == 0 {
		if len(words) > 0 {
			t.Errorf("%s: docent %s: no such command (docent help lists them)", where, strings.Join(args, " "))
			return
		}
		usage, _ = help([]string{"run"}) // `docent --config x` is `docent run --config x`
	}
	options := map[string]bool{"h": true, "help": true}
	for _, m := range regexp.MustCompile(`(?m)^\s+-([a-z][a-z0-9-]*)`).FindAllStringSubmatch(usage, -1) {
		options[m[1]] = true
	}
	for _, a := range args[n:] {
		if a == "--" {
			break
		}
		name, ok := strings.CutPrefix(a, "-")
		if !ok || name == "" {
			continue
		}
		name, _, _ = strings.Cut(strings.TrimPrefix(name, "-"), "=")
		if !options[name] {
			t.Errorf("%s: docent %s: %s is no option of docent %s", where, strings.Join(args, " "), a, strings.Join(words[:max(n, 0)], " "))
		}
	}
}

// secretName is an environment variable that holds a secret.
var secretName = regexp.MustCompile(`(?i)token|key|secret|password|passwd`)

// unit is a systemd unit file: its sections' keys, each with its values
// in order (a key may be given more than once).
type unit map[string]map[string][]string

func readUnit(t *testing.T, path string) unit {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u, section := unit{}, ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: %q is no key=value in a section", path, n, line)
			}
			k = strings.TrimSpace(k)
			u[section][k] = append(u[section][k], strings.TrimSpace(v))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// The systemd unit runs Docent as its own user, with the usual hardening,
// its database in its state directory, its secrets outside the unit, and
// a command line that docent has.
func TestSystemdUnit(t *testing.T) {
	const path = "systemd/docent.service"
	s := readUnit(t, path)["Service"]
	if s == nil {
		t.Fatalf("%s has no [Service]", path)
	}
	last := func(k string) string {
		if v := s[k]; len(v) > 0 {
			return v[len(v)-1]
		}
		return ""
	}
	for k, want := range map[string][]string{
		"ProtectSystem":         {"strict"},
		"ProtectHome":           {"yes", "read-only", "tmpfs"},
		"NoNewPrivileges":       {"yes", "true"},
		"PrivateTmp":            {"yes", "true"},
		"PrivateDevices":        {"yes", "true"},
		"Restart":               {"on-failure", "always"},
		"RestrictNamespaces":    {"yes", "true"},
		"RestrictSUIDSGID":      {"yes", "true"},
		"LockPersonality":       {"yes", "true"},
		"UMask":                 {"0077", "0027"},
		"CapabilityBoundingSet": {""},
	} {
		if _, ok := s[k]; !ok || !slices.Contains(want, last(k)) {
			t.Errorf("%s: %s=%q, want one of %q", path, k, last(k), want)
		}
	}
	if user := last("User"); last("DynamicUser") != "yes" && (user == "" || user == "root" || user == "0") {
		t.Errorf("%s: runs as %q: want User= of its own or DynamicUser=yes", path, user)
	}
	if families := strings.Fields(last("RestrictAddressFamilies")); len(families) == 0 || slices.ContainsFunc(families, func(f string) bool {
		return !slices.Contains([]string{"AF_UNIX", "AF_INET", "AF_INET6"}, f)
	}) {
		t.Errorf("%s: RestrictAddressFamilies=%q, want AF_UNIX (the control socket), AF_INET and AF_INET6 at most", path, last("RestrictAddressFamilies"))
	}
	if !slices.ContainsFunc(s["SystemCallFilter"], func(v string) bool { return slices.Contains(strings.Fields(v), "@system-service") }) {
		t.Errorf("%s: SystemCallFilter=%q, want @system-service", path, s["SystemCallFilter"])
	}
	if s["EnvironmentFile"] == nil && s["LoadCredential"] == nil && s["LoadCredentialEncrypted"] == nil {
		t.Errorf("%s: no EnvironmentFile or LoadCredential: where do the tokens come from?", path)
	}
	for _, e := range s["Environment"] {
		for kv := range strings.FieldsSeq(e) {
			if name, _, _ := strings.Cut(strings.Trim(kv, `"`), "="); secretName.MatchString(name) {
				t.Errorf("%s: Environment=%s: a secret in the unit, which anyone can read (systemctl show); use EnvironmentFile or LoadCredential", path, kv)
			}
		}
	}

	// The command line is docent's, with an absolute config.
	exec := strings.Fields(last("ExecStart"))
	if len(exec) < 2 || filepath.Base(exec[0]) != "docent" || !filepath.IsAbs(exec[0]) {
		t.Fatalf("%s: ExecStart=%q, want /path/to/docent run ...", path, last("ExecStart"))
	}
	checkArgs(t, path+": ExecStart", exec[1:])
	i := slices.IndexFunc(exec, func(a string) bool { return a == "--config" || a == "-config" })
	if i < 0 || i+1 >= len(exec) || !filepath.IsAbs(exec[i+1]) {
		t.Fatalf("%s: ExecStart=%q: want --config /absolute/path (the working directory is the state directory)", path, last("ExecStart"))
	}

	// The database in the state directory, the only folder Docent may
	// write to, has its control socket there too: docent backup and
	// docent import, run beside the service, reach it there (not in a
	// private /tmp, where a long path would put it).
	state := last("StateDirectory")
	if state == "" || strings.Contains(state, "/") {
		t.Fatalf("%s: StateDirectory=%q, want one folder's name", path, state)
	}
	stateDir := filepath.Join("/var/lib", state)
	cfgFile := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfgFile, []byte("store:\n  path: docent.db\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := &cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Defaults: os.DirFS(repoRoot)}
	cfg, err := env.LoadConfig(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store.Path = filepath.Join(stateDir, "docent.db") // loading checks that its folder exists, here
	if sock := bot.ControlPath(cfg); !strings.HasPrefix(sock, stateDir+"/") {
		t.Errorf("%s: with store.path %s/docent.db, the control socket is %s, outside the state directory", path, stateDir, sock)
	}
	if wd := last("WorkingDirectory"); wd != "" && wd != stateDir {
		t.Errorf("%s: WorkingDirectory=%s, want the state directory %s (the only one writable)", path, wd, stateDir)
	}
}

// instruction is one line of a Dockerfile, its continuations joined.
type instruction struct {
	line int
	cmd  string // FROM, USER... in capitals
	args string
}

func readDockerfile(t *testing.T, path string) []instruction {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []instruction
	var cur strings.Builder
	start := 0
	for n, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || trimmed[0] == '#') {
			continue
		}
		if cur.Len() == 0 {
			start = n + 1
		}
		if more, ok := strings.CutSuffix(trimmed, `\`); ok {
			cur.WriteString(more + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{start, strings.ToUpper(cmd), strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

// Both Dockerfiles end in a stage FROM scratch that runs the static binary
// as a user with no rights, keeps the database on a volume, trusts the
// public CAs (Discord, Slack, the LLM are HTTPS), exposes the ports, holds
// no secret, and runs a command line that docent has; the two final
// stages say the same.
func TestContainerImage(t *testing.T) {
	var finals [][]string
	for _, path := range []string{"container/Dockerfile", "container/Dockerfile.scratch"} {
		ins := readDockerfile(t, path)
		last := -1
		for i, in := range ins {
			if in.cmd == "FROM" {
				last = i
			}
		}
		if last < 0 || strings.Fields(ins[last].args)[0] != "scratch" {
			t.Errorf("%s: the final stage is not FROM scratch", path)
			continue
		}
		final := ins[last:]
		var user, volume, expose, entry, cmd string
		var certs bool
		var same []string
		for _, in := range final {
			switch in.cmd {
			case "USER":
				user = in.args
			case "VOLUME":
				volume = in.args
			case "EXPOSE":
				expose = in.args
			case "ENTRYPOINT":
				entry = in.args
			case "CMD":
				cmd = in.args
			case "COPY":
				certs = certs || strings.HasSuffix(in.args, " /etc/ssl/certs/ca-certificates.crt")
			}
			if in.cmd != "COPY" {
				same = append(same, in.cmd+" "+in.args)
			}
			if in.cmd == "ENV" || in.cmd == "ARG" || in.cmd == "LABEL" {
				for kv := range strings.FieldsSeq(in.args) {
					if name, _, _ := strings.Cut(kv, "="); secretName.MatchString(name) {
						t.Errorf("%s:%d: %s %s: a secret in the image, which anyone who pulls it reads; pass it at run time", path, in.line, in.cmd, name)
					}
				}
			}
		}
		finals = append(finals, same)
		uid, _, _ := strings.Cut(user, ":")
		if !regexp.MustCompile(`^[0-9]+$`).MatchString(uid) || uid == "0" {
			t.Errorf("%s: USER %q, want a numeric user other than root (FROM scratch has no /etc/passwd to name one)", path, user)
		}
		if volume == "" {
			t.Errorf("%s: no VOLUME for the database", path)
		}
		if !certs {
			t.Errorf("%s: no CA certificates copied to /etc/ssl/certs/ca-certificates.crt: Docent could not reach Discord, Slack or an LLM over HTTPS", path)
		}
		for _, port := range []string{"8080", "8081"} {
			if !slices.Contains(strings.Fields(expose), port) {
				t.Errorf("%s: EXPOSE %q lacks %s (8080 the web chat, 8081 the ops listener)", path, expose, port)
			}
		}
		var entryArgs, cmdArgs []string
		if err := json.Unmarshal([]byte(entry), &entryArgs); err != nil || len(entryArgs) != 1 || filepath.Base(entryArgs[0]) != "docent" {
			t.Errorf("%s: ENTRYPOINT %s, want [\"/path/to/docent\"] (the JSON form: no shell FROM scratch)", path, entry)
		}
		if err := json.Unmarshal([]byte(cmd), &cmdArgs); err != nil {
			t.Errorf("%s: CMD %s, want the JSON form (no shell FROM scratch)", path, cmd)
		}
		checkArgs(t, path+": CMD", cmdArgs)
	}
	if len(finals) == 2 && !slices.Equal(finals[0], finals[1]) {
		t.Errorf("the final stages of Dockerfile and Dockerfile.scratch differ:\n%q\n%q", finals[0], finals[1])
	}
}

// invocations are the docent command lines in a guide: in its code
// blocks (continued lines joined; each command of a pipe or a list on its
// own), after the program's name or path (/usr/local/bin/docent), or after
// the image's name (docker run docent:v1.2.3 ARGS); and its inline code
// that begins with "docent ". A word docent that names a user or a
// container (-u docent, --name docent, docker exec docent docent ...) is
// no command.
func invocations(guide string) (cmds [][]string) {
	image := regexp.MustCompile(`^(localhost/)?docent:v[0-9]`)
	notCommand := []string{"-u", "--home-dir", "-t", "--tag", "--user", "--name", "exec", "create", "logs", "useradd", "status", "enable", "disable", "start", "stop", "restart"}
	inBlock := false
	var block, prose []string
	for line := range strings.SplitSeq(guide, "\n") {
		switch {
		case strings.HasPrefix(strings.TrimSpace(line), "```"):
			inBlock = !inBlock
		case inBlock:
			block = append(block, line)
		default:
			prose = append(prose, line)
		}
	}
	joined := strings.ReplaceAll(strings.Join(block, "\n"), "\\\n", " ")
	for line := range strings.SplitSeq(joined, "\n") {
		line, _, _ = strings.Cut(line, " #") // a comment
		for _, segment := range regexp.MustCompile(`&&|\|\||[;|]`).Split(line, -1) {
			words := strings.Fields(segment)
			for i, w := range words {
				if w != "docent" && !strings.HasSuffix(w, "/docent") && !image.MatchString(w) {
					continue
				}
				if i > 0 && slices.Contains(notCommand, words[i-1]) || i+1 < len(words) && words[i+1] == "docent" ||
					i > 0 && words[i-1] == "install" || i+1 == len(words) && w != "docent" && !image.MatchString(w) {
					continue // a user, a container, a file installed
				}
				var args []string
				for _, a := range words[i+1:] {
					if strings.HasPrefix(a, ">") || strings.HasPrefix(a, "2>") {
						break
					}
					args = append(args, a)
				}
				cmds = append(cmds, args)
				break
			}
		}
	}
	// Inline code, which may wrap across lines.
	for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(strings.Join(prose, " "), -1) {
		if words := strings.Fields(m[1]); len(words) > 1 && words[0] == "docent" {
			cmds = append(cmds, words[1:])
		}
	}
	return cmds
}

// The deploy guide's docent commands are docent's, with options their
// commands have; the files it names are in the repository; the README
// leads to it.
func TestDeployGuideCommands(t *testing.T) {
	const path = "docs/deploy.md"
	b, err := os.ReadFile(filepath.Join(repoRoot, path))
	if err != nil {
		t.Fatal(err)
	}
	cmds := invocations(string(b))
	if len(cmds) < 20 {
		t.Errorf("%s: %d docent commands found, want the guide's 20 or more: is the extraction broken?", path, len(cmds))
	}
	for _, args := range cmds {
		checkArgs(t, path, args)
	}
	for _, m := range regexp.MustCompile(`(?:deploy|tools)/[A-Za-z0-9_./-]*[A-Za-z0-9_]`).FindAllString(string(b), -1) {
		if _, err := os.Stat(filepath.Join(repoRoot, m)); err != nil {
			// A file of secrets is kept out of git and made from its
			// example (deploy/compose/docent.env).
			if _, err := os.Stat(filepath.Join(repoRoot, m+".example")); err == nil {
				continue
			}
			t.Errorf("%s names %s, which the repository lacks", path, m)
		}
	}
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "](docs/deploy.md)") {
		t.Errorf("README.md does not link %s", path)
	}
}

// The extraction finds commands where the guide writes them, and no user
// or container named docent.
func TestInvocations(t *testing.T) {
	guide := "Run `docent backup FILE` or `docent\nrestore`.\n\n```sh\n" +
		"sudo -u docent mkdir x && docent stats --days 7 | head\n" +
		"sudo systemd-run --pipe -p User=docent \\\n  /usr/local/bin/docent import --config /etc/c.yaml f.jsonl\n" +
		"docker run -d --name docent -v d:/data docent:v1.2.3 run --json\n" +
		"docker exec docent docent version # and a comment --nope\n" +
		"docker build -f Dockerfile -t docent:v1.2.3 .\n" +
		"journalctl -u docent -f\n" +
		"sudo install -m 0755 dist/docent_linux_amd64 /usr/local/bin/docent\n" +
		"docent\n```\n"
	got := invocations(guide)
	want := [][]string{{"stats", "--days", "7"}, {"import", "--config", "/etc/c.yaml", "f.jsonl"}, {"run", "--json"}, {"version"}, {}, {"backup", "FILE"}, {"restore"}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("invocations:\n got %q\nwant %q", got, want)
	}
}

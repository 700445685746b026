package importer

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docent-bot/docent/chat"
	"github.com/docent-bot/docent/store"
)

// A Slack workspace export, the zip Slack admins download: channels.json
// and users.json at the top, and a folder per channel (by name) of a
// file per day (2026-11-01.json), each a list of messages.

type slackChannel struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type slackUser struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	IsBot   bool   `json:"is_bot"`
	Profile struct {
		DisplayName string `json:"display_name"`
		RealName    string `json:"real_name"`
	} `json:"profile"`
}

// displayName is what Slack shows for u.
func (u slackUser) displayName() string {
	for _, n := range []string{u.Profile.DisplayName, u.Profile.RealName, u.Name} {
		if n != "" {
			return n
		}
	}
	return u.ID
}

type slackMessage struct {
	Type     string `json:"type"`
	Subtype  string `json:"subtype"`
	User     string `json:"user"`
	BotID    string `json:"bot_id"`
	Username string `json:"username"`
	Text     string `json:"text"`
	TS       string `json:"ts"`
	ThreadTS string `json:"thread_ts"`
	Team     string `json:"team"`
	// Reactions: Slack names at most the first 50 users of each.
	Reactions []struct {
		Name  string   `json:"name"`
		Users []string `json:"users"`
		Count int      `json:"count"`
	} `json:"reactions"`
}

// reactions are m's reactions as the store keeps them.
func (m slackMessage) reactions() []store.Reaction {
	rs := make([]reaction, len(m.Reactions))
	for i, r := range m.Reactions {
		rs[i] = reaction{emoji: r.Name, count: r.Count, members: r.Users}
	}
	return storedReactions(rs)
}

// slackMention is a member named in a message's text: <@U123> or
// <@U123|name>.
var slackMention = regexp.MustCompile(`<@([A-Z0-9]+)(?:\|[^>]*)?>`)

// slackEntities are the three characters Slack escapes in text.
var slackEntities = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// ImportSlack imports a Slack workspace export (the zip r, of size bytes)
// under the name name, into h, as ImportJSONL does: platform "slack"
// (opts.Platform is not used), each message in the conversation the Slack
// adapter would have put it in (its thread, or the thread it starts) and
// under its ts, so that what Docent saw live or imported before is left
// out, with its reactions (emoji names as Slack writes them: "+1"). A
// reply needs no RepliesTo: its thread is the conversation of the message
// it replies to. Members' messages and bots' posts only: joins, topics and the like
// are counted as Other.
func ImportSlack(ctx context.Context, h History, name string, size int64, r io.ReaderAt, opts Options) (Summary, error) {
	opts.Platform = "slack"
	b, err := startBatches(ctx, h, name, size, opts)
	if err != nil {
		return Summary{}, err
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return b.sum, fmt.Errorf("importer: %s: not a Slack export: %w", name, err)
	}
	var channels []slackChannel
	var users []slackUser
	if err := readZipJSON(zr, "channels.json", &channels); err != nil {
		return b.sum, fmt.Errorf("importer: %s: not a Slack export: %w", name, err)
	}
	if err := readZipJSON(zr, "users.json", &users); err != nil && !errors.Is(err, errNotInZip) {
		return b.sum, fmt.Errorf("importer: %s: %w", name, err)
	}
	names := map[string]slackUser{}
	for _, u := range users {
		names[u.ID] = u
	}
	days := map[string][]*zip.File{} // channel name → its days, in order
	for _, f := range zr.File {
		dir, file := path.Split(f.Name)
		if dir != "" && strings.HasSuffix(file, ".json") {
			ch := strings.TrimSuffix(dir, "/")
			days[ch] = append(days[ch], f)
		}
	}
	members, n, read := map[string]bool{}, 0, int64(0)
	b.read = func() int64 { return read }
	for _, ch := range channels {
		files := days[ch.Name]
		slices.SortFunc(files, func(a, b *zip.File) int { return strings.Compare(a.Name, b.Name) })
		for _, f := range files {
			var msgs []json.RawMessage
			if err := readZipFile(f, &msgs); err != nil {
				n++
				b.bad(n, err) // err names the file
				continue
			}
			read += int64(f.CompressedSize64)
			for _, raw := range msgs {
				n++
				b.sum.Lines = n
				var m slackMessage
				if err := json.Unmarshal(raw, &m); err != nil {
					b.bad(n, fmt.Errorf("%s: %w", f.Name, err))
					continue
				}
				at, ok := slackTime(m.TS)
				switch {
				case m.Type != "message" || (m.Subtype != "" && m.Subtype != "thread_broadcast" && m.Subtype != "bot_message"):
					if n > b.done.Line {
						b.sum.Other++
					}
					continue
				case !ok || (m.User == "" && m.BotID == ""):
					b.bad(n, fmt.Errorf("%s: a message with no ts or author", f.Name))
					continue
				}
				author := chat.Member{ID: m.User, Name: names[m.User].displayName(), Bot: names[m.User].IsBot}
				if m.User == "" {
					author = chat.Member{ID: m.BotID, Name: m.Username, Bot: true}
				}
				members[author.ID] = true
				thread := m.ThreadTS
				if thread == "" {
					thread = m.TS
				}
				text := slackMention.ReplaceAllStringFunc(m.Text, func(s string) string {
					id := slackMention.FindStringSubmatch(s)[1]
					if u, ok := names[id]; ok {
						return "@" + u.displayName()
					}
					return s
				})
				err := b.add(ctx, n, store.Record{
					Kind: store.KindMessage, Conversation: chat.Conversation{Platform: "slack", Channel: ch.ID, Thread: thread},
					Space: m.Team, Time: at, Author: author, Text: slackEntities.Replace(text), PlatformID: m.TS,
					Reactions: m.reactions(),
				})
				if err != nil {
					return b.sum, err
				}
			}
		}
	}
	// A folder of no channel (a private channel's or a DM's, which
	// channels.json does not list; a name with "../") is not imported,
	// and says so.
	listed := map[string]bool{}
	for _, ch := range channels {
		listed[ch.Name] = true
	}
	for _, dir := range slices.Sorted(maps.Keys(days)) {
		if listed[dir] || dir == "__MACOSX" || strings.HasPrefix(dir, "__MACOSX/") { // a Mac's zip: file attributes
			continue
		}
		msgs := 0
		for _, f := range days[dir] {
			var day []json.RawMessage
			if readZipFile(f, &day) == nil {
				msgs += len(day)
			}
		}
		if msgs > 0 {
			n++
			b.bad(n, fmt.Errorf("the folder %q is no channel of channels.json (private channels and direct messages are not imported): its %d messages in %d files are skipped", dir, msgs, len(days[dir])))
		}
	}
	b.sum.Members, b.sum.Channels = len(members), len(channels)
	return b.sum, b.finish(ctx, n)
}

// errNotInZip is a file the export lacks.
var errNotInZip = errors.New("not in the zip")

// readZipJSON decodes the file name at the top of zr into v.
func readZipJSON(zr *zip.Reader, name string, v any) error {
	for _, f := range zr.File {
		if f.Name == name {
			return readZipFile(f, v)
		}
	}
	return fmt.Errorf("%s: %w", name, errNotInZip)
}

// maxZipFile bounds one file of an export read whole (a channel's day).
const maxZipFile = 256 << 20

func readZipFile(f *zip.File, v any) error {
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxZipFile+1))
	if err != nil {
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	if len(b) > maxZipFile {
		return fmt.Errorf("%s: larger than %d bytes", f.Name, maxZipFile)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	return nil
}

// slackTime reads a message's ts ("1700000000.123456").
func slackTime(ts string) (time.Time, bool) {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || s <= 0 || s > 253402300799 {
		return time.Time{}, false
	}
	us, err := strconv.ParseInt((frac + "000000")[:6], 10, 64)
	if err != nil || us < 0 {
		return time.Time{}, false
	}
	return time.Unix(s, us*1000).UTC(), true
}

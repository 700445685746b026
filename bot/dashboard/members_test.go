package dashboard

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/chat"
)

// The members page (the attention module's, through module.Pager) lists,
// behind the dashboard's login, the newcomer whose first question had no
// reply for a day and the questions still open; ?at= shows an earlier day,
// when the question was not asked yet.
func TestMembersPage(t *testing.T) {
	s := startServer(t, Options{})
	st := s.bot.Store()
	irc := chat.Conversation{Platform: "irc", Channel: "#dev"}
	asked := time.Now().UTC().Add(-50 * time.Hour).Truncate(time.Minute)
	for _, m := range []chat.Message{
		{Conversation: irc, Author: chat.Member{ID: "ann", Name: "Ann"}, Text: "morning all", Time: asked.Add(-time.Hour)},
		{Conversation: irc, Author: chat.Member{ID: "newb", Name: "Newb"}, Text: "does anyone know why the build fails on <java 17>?", Time: asked},
		{Conversation: irc, Author: chat.Member{ID: "newc", Name: "Newc"}, Text: "where do the thumbnails get stored?", Time: asked.Add(49 * time.Hour)},
	} {
		if _, err := st.AppendMessage(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	code, body := get(t, http.DefaultClient, s.ops+"/admin/members")
	if code != http.StatusOK {
		t.Fatalf("GET /admin/members: %d\n%s", code, body)
	}
	day := asked.Format(time.DateOnly)
	for _, want := range []string{
		`<a href="/admin/members" class="here">Members</a>`,
		"<tr><td>" + day + "</td><td>Newb</td><td>#dev</td><td>does anyone know why the build fails on &lt;java 17&gt;?</td><td>no reply</td></tr>",
		"<td>Newc</td><td>#dev</td><td>where do the thumbnails get stored?</td><td>1h</td></tr>",
		"<td>Newb</td><td>#dev</td><td>does anyone know why the build fails on &lt;java 17&gt;?</td><td>2d2h</td></tr>",
		"No regular's activity dropped below 30% of their usual.",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the members page lacks %q:\n%s", want, body)
		}
	}
	before := asked.Add(-24 * time.Hour).Format(time.DateOnly)
	if _, body = get(t, http.DefaultClient, s.ops+"/admin/members?at="+before); strings.Contains(body, "Newb") || !strings.Contains(body, "As of "+before) {
		t.Errorf("the members page as of %s names Newb, or not the day:\n%s", before, body)
	}
	if _, body = get(t, http.DefaultClient, s.ops+"/admin/members?at=yesterday"); !strings.Contains(body, "yesterday is not a date like 2018-07-25") {
		t.Errorf("the members page takes ?at=yesterday silently:\n%s", body)
	}
}

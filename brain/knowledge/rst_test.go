package knowledge

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplitRST(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		title string
		want  []string
	}{
		{
			name: "titles by underline and overline, levels in order of first appearance, labels as link anchors",
			src: "=========\nThe Guide\n=========\n\nIntro with a :ref:`link <install>` and :class:`~requests.Response`.\n\n" +
				".. _install:\n\nInstall it\n----------\n\nPip.\n\nDetails\n~~~~~~~\n\nMore.\n\nUsing it\n--------\n\nUse.\n",
			title: "The Guide",
			want: []string{
				"The Guide #the-guide | Intro with a link and Response.",
				"The Guide › Install it #install-it (install) | Pip.",
				"The Guide › Install it › Details #details | More.",
				"The Guide › Using it #using-it | Use.",
			},
		},
		{
			name:  "literal blocks after :: and code-block directives are code",
			src:   "Quickstart\n==========\n\nImport it::\n\n    >>> import requests\n\n    >>> r = requests.get(url)\n\nExpanded form:\n\n::\n\n    raw\n\n.. code-block:: python\n    :emphasize-lines: 1\n\n    s = requests.Session()\n\nAfter.\n",
			title: "Quickstart",
			want: []string{
				"Quickstart #quickstart | Import it:\n\n```\n>>> import requests\n\n>>> r = requests.get(url)\n```\n\nExpanded form:\n\n```\nraw\n```\n\n```python\ns = requests.Session()\n```\n\nAfter.",
			},
		},
		{
			name:  "admonitions are text, toctree, autodoc, images and comments are dropped",
			src:   "API\n===\n\nOpen files in :ref:`binary\nmode <tut-files>`.\n\n.. note:: Mind this.\n\n   And this.\n\n.. warning::\n\n   Careful with ``verify=False``.\n\n.. toctree::\n   :maxdepth: 2\n\n   user/install\n\n.. autofunction:: requests.get\n\n.. image:: logo.png\n   :alt: logo\n\n.. a comment\n   on two lines\n\n.. versionadded:: 2.1\n\n|version| is a substitution; `Docs <https://x.org>`_ and `Refs`_.\n",
			title: "API",
			want: []string{
				"API #api | Open files in binary\nmode.\n\nMind this.\n\nAnd this.\n\nCareful with `verify=False`.\n\nNew in version 2.1\n\n|version| is a substitution; Docs and Refs.",
			},
		},
		{
			name:  "GitHub slugs for IDs, Sphinx ids for links; a short underline or a transition is no title",
			src:   "$ python -m pip install requests\n--------------------------------\n\nx\n\nNot a title\n---\n\n----------\n\nStill x.\n",
			title: "$ python -m pip install requests",
			want: []string{
				"$ python -m pip install requests #-python--m-pip-install-requests (python-m-pip-install-requests) | x\n\nNot a title\n---\n\nStill x.",
			},
		},
		{
			name: "an admonition's body on the lines under its first is one paragraph with it, options aside",
			src: "T\n==\n\n.. note:: If ``verify`` is a directory, it must have been processed using\n  the ``c_rehash`` utility.\n\n" +
				".. warning:: Open files in :ref:`binary\n             mode <tut-files>`. Errors may occur\n             in *text mode*.\n\n   A second paragraph.\n\n" +
				".. versionchanged:: 2.0\n   Sessions are closed.\n\n.. figure:: a.png\n   :alt: x\n\n   Caption.\n",
			title: "T",
			want: []string{"T #t | If `verify` is a directory, it must have been processed using\nthe `c_rehash` utility.\n\n" +
				"Open files in binary\nmode. Errors may occur\nin *text mode*.\n\nA second paragraph.\n\n" +
				"Changed in version 2.0:\nSessions are closed."},
		},
		{
			name:  "lists and definitions keep their lines",
			src:   "T\n==\n\n* one\n  continued\n* two\n\nterm\n    definition\n",
			title: "T",
			want:  []string{"T #t | * one\ncontinued\n* two\n\nterm\ndefinition"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := splitRST(tc.src, 1000, AnchorsSphinx)
			if doc.title != tc.title {
				t.Errorf("title = %q, want %q", doc.title, tc.title)
			}
			if got := sectionsOf(doc); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("sections:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// FuzzSplitRST checks that any input splits without panicking into
// non-empty, valid UTF-8 parts of bounded size with unique anchors, and
// that plain prose (no markup characters) keeps every word.
func FuzzSplitRST(f *testing.F) {
	for _, s := range []string{
		"Title\n=====\n\ntext\n\nSub\n---\n\n.. _l:\n\nThird\n~~~~~\n",
		"====\nOver\n====\n\n::\n\n    code\n\n.. note:: x\n\n   y\n",
		".. warning:: a\n   :ref:`b\n   c <d>`\n   :opt: e\n\n   f\n.. versionadded:: 1\n   g\n",
		".. code-block:: go\n\n\tfmt.Println()\n\n.. toctree::\n   a\n",
		":ref:`a <b>` ``c`` `d <e>`_ |f| :class:`~g.h`",
		"\xff\n=\n  \n\t\t.. x::\n" + strings.Repeat(" ", 40) + "deep",
	} {
		f.Add(s, 16)
	}
	f.Fuzz(func(t *testing.T, src string, max int) {
		max = 1 + abs(max)%200
		doc := splitRST(src, max, AnchorsSphinx)
		if !utf8.ValidString(doc.title) {
			t.Fatalf("title %q is not valid UTF-8", doc.title)
		}
		var all strings.Builder
		ids, links := map[string]bool{}, map[string]bool{}
		for _, s := range doc.sections {
			if len(s.headings) > 0 {
				if ids[s.anchor] || links[s.link] {
					t.Fatalf("anchor %q or link %q twice", s.anchor, s.link)
				}
				ids[s.anchor], links[s.link] = true, true
			}
			if len(s.parts) == 0 {
				t.Fatalf("section %q has no parts", s.headings)
			}
			for _, p := range s.parts {
				if strings.TrimSpace(p) == "" || !utf8.ValidString(p) {
					t.Fatalf("bad part %q", p)
				}
				if len(p) > 2*max && len(p) > utf8.UTFMax {
					t.Fatalf("part of %d bytes, max %d: %q", len(p), max, p)
				}
				all.WriteString(p)
				all.WriteByte(' ')
			}
		}
		if !strings.ContainsAny(src, "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\r\x00") {
			got := strings.Join(strings.Fields(all.String()), "")
			want := strings.Join(strings.Fields(normalise(src)), "")
			if got != want {
				t.Fatalf("text changed:\n got %q\nwant %q", got, want)
			}
		}
	})
}

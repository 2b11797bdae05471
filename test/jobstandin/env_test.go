package jobstandin

import "testing"

func TestExpand(t *testing.T) {
	vars := map[string]string{"DIR": "/dumps/x", "EMPTY": ""}
	lookup := func(name string) (string, bool) { v, ok := vars[name]; return v, ok }
	cases := []struct {
		reason, in, want string
	}{
		{"a reference to a defined variable is replaced", "$(DIR)/a.sql", "/dumps/x/a.sql"},
		{"a variable defined empty expands to nothing", "a$(EMPTY)b", "ab"},
		{"a reference to an undefined variable stays as written", "$(NONE) $(DIR)", "$(NONE) /dumps/x"},
		{"$$ is a literal $, so $$(DIR) is not expanded", "$$(DIR) $$", "$(DIR) $"},
		{"a shell's variables and command substitutions without a defined name are left alone", `"$DIR" ${DIR} $(date)`, `"$DIR" ${DIR} $(date)`},
		{"an unclosed reference stays as written", "$(DIR", "$(DIR"},
		{"a trailing $ stays", "cost$", "cost$"},
	}
	for _, c := range cases {
		if got := expand(c.in, lookup); got != c.want {
			t.Errorf("%s: expand(%q) = %q, want %q", c.reason, c.in, got, c.want)
		}
	}
}

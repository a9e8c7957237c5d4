package capmatrix

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/canvus"
	"github.com/tokenkit/tokenkit/cgscan"
	"github.com/tokenkit/tokenkit/commvault"
	"github.com/tokenkit/tokenkit/csp"
	"github.com/tokenkit/tokenkit/oracle"
)

// ifaces maps each verb to its interface and that interface's name.
var ifaces = [numVerbs]struct {
	name string
	typ  reflect.Type
}{
	Exchange: {"Exchanger", reflect.TypeFor[tokenkit.Exchanger]()},
	Issue:    {"Issuer", reflect.TypeFor[tokenkit.Issuer]()},
	Renew:    {"Renewer", reflect.TypeFor[tokenkit.Renewer]()},
	Check:    {"Checker", reflect.TypeFor[tokenkit.Checker]()},
	Revoke:   {"Revoker", reflect.TypeFor[tokenkit.Revoker]()},
	List:     {"Lister", reflect.TypeFor[tokenkit.Lister]()},
}

// adapters lists, per vendor, every exported type of the package that
// could be an adapter: its client, tokens and adapter types. Exchangers are
// unexported in every vendor: the table names the *Client method that
// builds one ("*Client.LoginExchanger"), whose declared result is
// tokenkit.Exchanger (TestMatrixConstructors). A type the
// package gains must be added here (TestEveryExportedTypeIsConsidered).
var adapters = map[string]map[string]any{
	"csp": {"*Client": (*csp.Client)(nil), "*AccessToken": (*csp.AccessToken)(nil)},
	"commvault": {
		"*Client": (*commvault.Client)(nil), "*Tokens": (*commvault.Tokens)(nil),
		"*AccessToken": (*commvault.AccessToken)(nil), "*Session": (*commvault.Session)(nil),
	},
	"oracle": {"*Client": (*oracle.Client)(nil), "*AccessToken": (*oracle.AccessToken)(nil), "*Tokens": (*oracle.Tokens)(nil)},
	"cgscan": {
		"*Client": (*cgscan.Client)(nil), "*AccessToken": (*cgscan.AccessToken)(nil), "*Session": (*cgscan.Session)(nil),
		"*Tokens": (*cgscan.Tokens)(nil),
	},
	"canvus": {
		"*Client": (*canvus.Client)(nil), "*Tokens": (*canvus.Tokens)(nil),
		"*AccessToken": (*canvus.AccessToken)(nil), "*Session": (*canvus.Session)(nil),
	},
}

// typeNames strips the parenthesised notes of a Cell's By and leaves out
// its constructors ("*Client.SessionExchanger").
func typeNames(c Cell) []string {
	var out []string
	for _, b := range c.By {
		name, _, _ := strings.Cut(b, " (")
		if !strings.Contains(name, ".") {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// constructors lists the "*Type.Method" entries of a Cell's By: methods
// that return an implementation whose type is unexported.
func constructors(c Cell) []string {
	var out []string
	for _, b := range c.By {
		if name, _, _ := strings.Cut(b, " ("); strings.Contains(name, ".") {
			out = append(out, name)
		}
	}
	return out
}

// TestMatrixConstructors checks each "*Type.Method" the table names: the
// adapter type has the method, and its first result is the verb's
// interface.
func TestMatrixConstructors(t *testing.T) {
	for _, r := range Matrix {
		for _, v := range Verbs() {
			for _, name := range constructors(r.Cells[v]) {
				typ, method, _ := strings.Cut(name, ".")
				val, ok := adapters[r.Vendor][typ]
				if !ok {
					t.Errorf("%s %s: %s is not in adapters", r.Vendor, v, typ)
					continue
				}
				m, ok := reflect.TypeOf(val).MethodByName(method)
				if !ok || m.Type.NumOut() == 0 || m.Type.Out(0) != ifaces[v].typ {
					t.Errorf("%s %s: %s does not return a tokenkit.%s", r.Vendor, v, name, ifaces[v].name)
				}
			}
		}
	}
}

// TestEveryExchangerIsInTheMatrix: every <Flow>Exchanger method of a
// vendor's *Client is named in its exchange cell.
func TestEveryExchangerIsInTheMatrix(t *testing.T) {
	for _, r := range Matrix {
		c := reflect.TypeOf(adapters[r.Vendor]["*Client"])
		for i := range c.NumMethod() {
			if m := c.Method(i).Name; strings.HasSuffix(m, "Exchanger") && !slices.Contains(constructors(r.Cells[Exchange]), "*Client."+m) {
				t.Errorf("%s: (*Client).%s is not in the exchange cell", r.Vendor, m)
			}
		}
	}
}

// TestMatrixMatchesTypes type-asserts every adapter of every vendor against
// the six interfaces and compares with Matrix.
func TestMatrixMatchesTypes(t *testing.T) {
	if len(Matrix) != len(adapters) {
		t.Fatalf("Matrix has %d vendors, adapters %d", len(Matrix), len(adapters))
	}
	for _, r := range Matrix {
		types, ok := adapters[r.Vendor]
		if !ok {
			t.Fatalf("no adapters listed for %s", r.Vendor)
		}
		for _, v := range Verbs() {
			var got []string
			for name, val := range types {
				if reflect.TypeOf(val).Implements(ifaces[v].typ) {
					got = append(got, name)
				}
			}
			slices.Sort(got)
			if want := typeNames(r.Cells[v]); !slices.Equal(got, want) {
				t.Errorf("%s %s: implemented by %v, Matrix says %v", r.Vendor, v, got, want)
			}
			if len(r.Cells[v].By) == 0 && r.Cells[v].Why == "" {
				t.Errorf("%s %s: no implementation and no reason", r.Vendor, v)
			}
		}
	}
}

// TestMatrixMatchesAssertions reads the compile-time assertions
// (var _ tokenkit.Issuer = (*Manager)(nil)) of every vendor package and
// compares them with Matrix: each implementation the table names is
// asserted at compile time, and each assertion is in the table.
func TestMatrixMatchesAssertions(t *testing.T) {
	for _, r := range Matrix {
		asserted := assertions(t, filepath.Join("..", "..", r.Vendor))
		for _, v := range Verbs() {
			got := asserted[ifaces[v].name]
			slices.Sort(got)
			if want := typeNames(r.Cells[v]); !slices.Equal(got, want) {
				t.Errorf("%s %s: asserted for %v, Matrix says %v", r.Vendor, v, got, want)
			}
		}
	}
}

// TestEveryExportedTypeIsConsidered fails when a vendor package gains an
// exported struct type that adapters does not list, so that a new adapter
// cannot escape TestMatrixMatchesTypes.
func TestEveryExportedTypeIsConsidered(t *testing.T) {
	for vendor, types := range adapters {
		for _, name := range methodReceivers(t, filepath.Join("..", "..", vendor)) {
			if _, ok := types["*"+name]; !ok {
				t.Errorf("%s.%s has a method named like a verb but is not in adapters", vendor, name)
			}
		}
	}
}

// TestDocsShowMatrix checks that README.md and the root package doc show
// the table exactly as Markdown renders it.
func TestDocsShowMatrix(t *testing.T) {
	md := Markdown()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), md) {
		t.Errorf("README.md does not show the capability matrix; paste this:\n%s", md)
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "doc.go"))
	if err != nil {
		t.Fatal(err)
	}
	var inDoc strings.Builder
	for _, line := range strings.SplitAfter(strings.TrimSuffix(md, "\n"), "\n") {
		inDoc.WriteString("//\t" + line)
	}
	if !strings.Contains(string(doc), inDoc.String()) {
		t.Errorf("doc.go does not show the capability matrix; paste this:\n%s", inDoc.String())
	}
}

func parseDir(t *testing.T, dir string) []*ast.File {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	fset := token.NewFileSet()
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// assertions maps an interface name to the "*T" types asserted to implement
// it in dir's package.
func assertions(t *testing.T, dir string) map[string][]string {
	out := map[string][]string{}
	for _, f := range parseDir(t, dir) {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				if len(vs.Names) != 1 || vs.Names[0].Name != "_" || len(vs.Values) != 1 {
					continue
				}
				sel, ok := vs.Type.(*ast.SelectorExpr)
				if !ok || sel.X.(*ast.Ident).Name != "tokenkit" {
					continue
				}
				call, ok := vs.Values[0].(*ast.CallExpr)
				if !ok {
					continue
				}
				paren, ok := call.Fun.(*ast.ParenExpr)
				if !ok {
					continue
				}
				star, ok := paren.X.(*ast.StarExpr)
				if !ok {
					continue
				}
				// Only exported types are the public API the table describes:
				// an unexported exchanger is reached through the *Client
				// method that returns it.
				if id, ok := star.X.(*ast.Ident); ok && id.IsExported() {
					out[sel.Sel.Name] = append(out[sel.Sel.Name], "*"+id.Name)
				}
			}
		}
	}
	return out
}

var verbMethods = map[string]bool{"Exchange": true, "Issue": true, "Renew": true, "Check": true, "Revoke": true, "List": true}

// methodReceivers lists the exported receiver types of dir's package.
func methodReceivers(t *testing.T, dir string) []string {
	var out []string
	for _, f := range parseDir(t, dir) {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || !verbMethods[fd.Name.Name] {
				continue
			}
			rt := fd.Recv.List[0].Type
			if s, ok := rt.(*ast.StarExpr); ok {
				rt = s.X
			}
			if id, ok := rt.(*ast.Ident); ok && ast.IsExported(id.Name) && !slices.Contains(out, id.Name) {
				out = append(out, id.Name)
			}
		}
	}
	return out
}

package apicheck

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// vendors are the five vendor packages, which must read as five instances of
// one design.
var vendors = []string{"csp", "commvault", "oracle", "cgscan", "canvus"}

// pkgDecls is what the pattern test needs of one package: its exported
// functions and methods by "Recv.Name" (Recv "" for functions), with their
// signatures as source text, and its exported types.
type pkgDecls struct {
	funcs map[string]string // "Client.APITokenSource" -> "func(APITokenRequest, tokenkit.SourceConfig) (*tokenkit.Source, error)"
	types map[string]*ast.TypeSpec
}

func parseVendor(t *testing.T, dir string) pkgDecls {
	t.Helper()
	d := pkgDecls{funcs: map[string]string{}, types: map[string]*ast.TypeSpec{}}
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") || strings.HasSuffix(n, ".gen.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			switch decl := decl.(type) {
			case *ast.FuncDecl:
				if !decl.Name.IsExported() {
					continue
				}
				key := decl.Name.Name
				if decl.Recv != nil {
					if !exportedRecv(decl.Recv) {
						continue
					}
					key = recvName(decl.Recv) + "." + key
				}
				d.funcs[key] = signature(fset, decl.Type)
			case *ast.GenDecl:
				for _, s := range decl.Specs {
					if ts, ok := s.(*ast.TypeSpec); ok && ts.Name.IsExported() {
						d.types[ts.Name.Name] = ts
					}
				}
			}
		}
	}
	return d
}

func recvName(r *ast.FieldList) string {
	x := r.List[0].Type
	if s, ok := x.(*ast.StarExpr); ok {
		x = s.X
	}
	return x.(*ast.Ident).Name
}

// signature prints a function type without parameter names.
func signature(fset *token.FileSet, ft *ast.FuncType) string {
	typ := func(x ast.Expr) string {
		var b bytes.Buffer
		_ = printer.Fprint(&b, fset, x)
		return b.String()
	}
	list := func(fl *ast.FieldList) []string {
		var out []string
		if fl == nil {
			return out
		}
		for _, f := range fl.List {
			n := max(len(f.Names), 1)
			for range n {
				out = append(out, typ(f.Type))
			}
		}
		return out
	}
	s := "func(" + strings.Join(list(ft.Params), ", ") + ")"
	res := list(ft.Results)
	switch len(res) {
	case 0:
	case 1:
		s += " " + res[0]
	default:
		s += " (" + strings.Join(res, ", ") + ")"
	}
	return s
}

// TestVendorPackagesShareOnePattern: every vendor package has the same
// constructor, the same pair of methods per credential flow, the same way to
// wrap a token held elsewhere, to manage tokens, to choose how a token is
// presented and to import a persisted token — and no struct a caller fills
// in with a *Client (adapters are built by methods, never literals).
func TestVendorPackagesShareOnePattern(t *testing.T) {
	for _, v := range vendors {
		t.Run(v, func(t *testing.T) {
			d := parseVendor(t, filepath.Join("..", "..", v))
			want := map[string]string{
				"New":                   "func(string, ...tokenkit.Option) (*Client, error)",
				"Import":                "func(*tokenkit.Exported) (tokenkit.Token, error)",
				"ImportAccessToken":     "func(*tokenkit.Exported) (*AccessToken, error)",
				"WithPresentation":      "func(...tokenkit.Presentation) tokenkit.Option",
				"Client.NewAccessToken": "func(tokenkit.HeldToken) (*AccessToken, error)",
				"Client.BaseURL":        "func() string",
			}
			if _, ok := d.types["Tokens"]; ok {
				want["Client.Tokens"] = "func(tokenkit.TokenSource) (*Tokens, error)"
			}
			for name, sig := range want {
				if got, ok := d.funcs[name]; !ok {
					t.Errorf("%s.%s is missing; want %s", v, name, sig)
				} else if got != sig {
					t.Errorf("%s.%s is %s; want %s", v, name, got, sig)
				}
			}
			var flows []string
			for name, sig := range d.funcs {
				method, ok := strings.CutPrefix(name, "Client.")
				if !ok {
					continue
				}
				if f, ok := strings.CutSuffix(method, "Source"); ok && f != "" {
					flows = append(flows, f)
					req, ok := strings.CutPrefix(sig, "func(")
					req, _, ok2 := strings.Cut(req, ", tokenkit.SourceConfig) (*tokenkit.Source, error)")
					if !ok || !ok2 || strings.Contains(req, ",") {
						t.Errorf("%s.(*Client).%s is %s; want func(<Request>, tokenkit.SourceConfig) (*tokenkit.Source, error)", v, method, sig)
						continue
					}
					ex := "Client." + f + "Exchanger"
					if got, want := d.funcs[ex], "func("+req+") (tokenkit.Exchanger, error)"; got != want {
						t.Errorf("%s.(*Client).%sExchanger is %q; want %q, the Source's twin", v, f, got, want)
					}
				}
				if strings.Contains(sig, "...tokenkit.SourceConfig") {
					t.Errorf("%s.%s takes a variadic SourceConfig: one config argument", v, name)
				}
			}
			if len(flows) == 0 {
				t.Errorf("%s has no <Flow>Source method", v)
			}
			sort.Strings(flows)
			t.Logf("%s flows: %v", v, flows)
			for name, ts := range d.types {
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, f := range st.Fields.List {
					for _, n := range f.Names {
						if !n.IsExported() {
							continue
						}
						if s, ok := f.Type.(*ast.StarExpr); ok {
							if id, ok := s.X.(*ast.Ident); ok && id.Name == "Client" {
								t.Errorf("%s.%s has an exported *Client field %s: build adapters with a method of Client, not a literal", v, name, n.Name)
							}
						}
					}
				}
				if strings.HasSuffix(name, "Exchanger") || name == "Rotator" || name == "Refresher" || name == "Manager" {
					t.Errorf("%s exports the type %s: exchangers and adapters are built by methods of Client", v, name)
				}
			}
		})
	}
}

// TestNoInternalTypesInPublicAPI: no exported function, method or field of
// a public package mentions a type of an internal package, which no user
// can name.
func TestNoInternalTypesInPublicAPI(t *testing.T) {
	fset := token.NewFileSet()
	for _, p := range publicFiles(t) {
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		internal := map[string]bool{}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !strings.Contains(path, "/internal/") && !strings.HasSuffix(path, "/internal") {
				continue
			}
			name := filepath.Base(path)
			if imp.Name != nil {
				name = imp.Name.Name
			}
			internal[name] = true
		}
		if len(internal) == 0 {
			continue
		}
		mentions := func(n ast.Node) string {
			var found string
			ast.Inspect(n, func(n ast.Node) bool {
				if s, ok := n.(*ast.SelectorExpr); ok {
					if id, ok := s.X.(*ast.Ident); ok && internal[id.Name] {
						found = id.Name + "." + s.Sel.Name
					}
				}
				return found == ""
			})
			return found
		}
		for _, decl := range f.Decls {
			switch decl := decl.(type) {
			case *ast.FuncDecl:
				if !decl.Name.IsExported() || decl.Recv != nil && !exportedRecv(decl.Recv) {
					continue
				}
				if m := mentions(decl.Type); m != "" {
					t.Errorf("%s: exported %s mentions the internal %s", fset.Position(decl.Pos()), decl.Name.Name, m)
				}
			case *ast.GenDecl:
				for _, s := range decl.Specs {
					ts, ok := s.(*ast.TypeSpec)
					if !ok || !ts.Name.IsExported() {
						continue
					}
					if ts.Assign.IsValid() {
						if m := mentions(ts.Type); m != "" {
							t.Errorf("%s: exported alias %s of the internal %s", fset.Position(ts.Pos()), ts.Name.Name, m)
						}
						continue
					}
					st, ok := ts.Type.(*ast.StructType)
					if !ok {
						continue
					}
					for _, fl := range st.Fields.List {
						exported := len(fl.Names) == 0
						for _, n := range fl.Names {
							exported = exported || n.IsExported()
						}
						if exported {
							if m := mentions(fl.Type); m != "" {
								t.Errorf("%s: exported field of %s mentions the internal %s", fset.Position(fl.Pos()), ts.Name.Name, m)
							}
						}
					}
				}
			}
		}
	}
}

// TestNoUnexportedTypesInPublicAPI: no exported function, method, field or
// type definition of a public package mentions an unexported type of its
// own package (a func(*verifyChecks) option), which no user can name, wrap
// or write.
func TestNoUnexportedTypesInPublicAPI(t *testing.T) {
	fset := token.NewFileSet()
	byDir := map[string][]*ast.File{}
	for _, p := range publicFiles(t) {
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		byDir[filepath.Dir(p)] = append(byDir[filepath.Dir(p)], f)
	}
	for _, files := range byDir {
		hidden := map[string]bool{}
		for _, f := range files {
			for _, d := range f.Decls {
				if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.TYPE {
					for _, s := range g.Specs {
						if ts := s.(*ast.TypeSpec); !ts.Name.IsExported() {
							hidden[ts.Name.Name] = true
						}
					}
				}
			}
		}
		var mentions func(n ast.Node) string
		mentions = func(n ast.Node) string {
			var found string
			ast.Inspect(n, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.SelectorExpr:
					return false // another package's name
				case *ast.Field:
					found = mentions(n.Type) // not the parameter's name
					return false
				case *ast.Ident:
					if hidden[n.Name] {
						found = n.Name
					}
				}
				return found == ""
			})
			return found
		}
		for _, f := range files {
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					if !d.Name.IsExported() || d.Recv != nil && !exportedRecv(d.Recv) {
						continue
					}
					if m := mentions(d.Type); m != "" {
						t.Errorf("%s: exported %s mentions the unexported %s", fset.Position(d.Pos()), d.Name.Name, m)
					}
				case *ast.GenDecl:
					for _, s := range d.Specs {
						ts, ok := s.(*ast.TypeSpec)
						if !ok || !ts.Name.IsExported() {
							continue
						}
						switch typ := ts.Type.(type) {
						case *ast.StructType:
							for _, fl := range typ.Fields.List {
								exported := len(fl.Names) == 0
								for _, n := range fl.Names {
									exported = exported || n.IsExported()
								}
								if m := mentions(fl.Type); exported && m != "" {
									t.Errorf("%s: an exported field of %s mentions the unexported %s", fset.Position(fl.Pos()), ts.Name.Name, m)
								}
							}
						case *ast.InterfaceType:
							for _, fl := range typ.Methods.List {
								if m := mentions(fl.Type); len(fl.Names) > 0 && fl.Names[0].IsExported() && m != "" {
									t.Errorf("%s: a method of %s mentions the unexported %s", fset.Position(fl.Pos()), ts.Name.Name, m)
								}
							}
						default:
							if m := mentions(typ); m != "" {
								t.Errorf("%s: exported type %s is defined with the unexported %s", fset.Position(ts.Pos()), ts.Name.Name, m)
							}
						}
					}
				}
			}
		}
	}
}

"""The sidebar's page list (ui.navigation): every page in pages/, in number order, with a Material icon and the
URL path Streamlit's pages/ folder gave it (links and bookmarks such as /Train and /Hidden_states keep working)."""

from ui.navigation import DEFAULT_ICON, HOME, ICONS, app_pages, icon_for


def test_every_page_file_is_listed_in_number_order():
    pages = app_pages()
    assert [p.label for p in pages][:4] == ["Data", "Train", "Hidden states", "Sample"]
    assert [p.path for p in pages][:2] == ["pages/1_Data.py", "pages/2_Train.py"]
    assert [p.label for p in pages][-4:] == ["Runs", "Samples over training", "Guessing game", "Lessons"]  # 10-13
    assert HOME not in [p.label for p in pages]
    assert all(p.what for p in pages), [p.label for p in pages if not p.what]


def test_every_icon_is_a_material_icon():
    assert all(i.startswith(":material/") and i.endswith(":") for i in [*ICONS.values(), DEFAULT_ICON])
    assert all(p.icon == icon_for(p.label) for p in app_pages())
    assert {p.label for p in app_pages()} <= set(ICONS)  # every current page has its own icon


def test_a_new_page_gets_a_default_icon_and_its_docstring_line(tmp_path):
    (tmp_path / "12_New_view.py").write_text('"""New view: what the new view shows.\n\nMore."""\n')
    (tmp_path / "helper.py").write_text("")  # not a page: no number
    (tmp_path / "13_Broken.py").write_text("def (:\n")
    pages = app_pages(tmp_path)
    assert [(p.label, p.icon, p.what) for p in pages] == [("New view", DEFAULT_ICON, "what the new view shows."),
                                                         ("Broken", DEFAULT_ICON, "")]

"""Issue 16 end to end: a researcher picks two territories and a theme on the comparison page, sees
both territories' QPV on the map beside the columns with their counts, clicks one and reads its
commitments. In Debian's headless Chromium, with every request off the machine refused (the map
needs no tile server, no CDN)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.test_browser import app_url, page  # noqa: F401  (the app and the browser, as fixtures)

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def _expected(built, territories: list[str], theme: str) -> dict[str, int]:
    from kg.facade import Build
    from kg.views.gis import neighbourhood_features

    store = Build.current(built).store()
    try:
        return {f.code: f.commitments for f in neighbourhood_features(store, territories, theme=theme, breakdown=False)}
    finally:
        store.close()


def test_map_of_two_territories_on_a_theme_then_a_neighbourhood(app_url: str, page, built, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import expect

    from kg.graph.vocabulary import theme_label

    expected = _expected(built, ["CAMVS", "CAVM"], "health")
    assert len(expected) >= 10 and any(expected.values())  # both territories have coded QPV and health commitments
    leaving: list[str] = []
    page.on("requestfailed", lambda r: leaving.append(r.url))

    page.goto(app_url + "/comparer")
    page.get_by_role("heading", name="Comparer les territoires").first.wait_for()
    # Two territories: the last of the default three (CUA) is taken out.
    page.get_by_role("button", name="Remove CUA", exact=True).first.click()
    tags = page.locator("[data-testid=stMultiSelect]").first.locator("[data-tag]")
    expect(tags).to_have_count(2)
    expect(tags.filter(has_text="CUA")).to_have_count(0)
    page.get_by_text("un thème", exact=True).click()
    page.get_by_label("Thème", exact=True).click()
    page.get_by_role("option", name=theme_label("health", "fr"), exact=True).click()

    page.get_by_role("heading", name="Carte des quartiers").first.wait_for()
    chart = page.locator("[data-testid=stVegaLiteChart]").filter(has=page.locator("g.mark-shape")).first
    chart.wait_for()
    shapes = chart.locator("g.mark-shape path")
    expect(shapes).to_have_count(len(expected))  # one shape per neighbourhood of the two territories
    table = page.locator("[data-testid=stTable]").first
    text = table.inner_text()
    for code, count in expected.items():
        row = table.locator("tr", has_text=code)
        expect(row).to_have_count(1)
        assert re.search(rf"(^|\s){count}(\s|$)", row.inner_text()), (code, count, row.inner_text())
    assert "Arras" not in text and "Maubeuge" in text and "Valenciennes" in text
    assert "successeurs QN" in text  # Valenciennes's 2015 QPV are drawn through their 2024 successors
    page.screenshot(path=str(tmp_path / "carte.png"), full_page=True)

    # A click on a neighbourhood of the map opens its commitments and the passages they come from.
    shapes.first.click(force=True)
    details = page.get_by_role("heading", name=re.compile(r"engagement\(s\) sur")).first
    details.wait_for()
    n = int(re.search(r"· (\d+) engagement", details.inner_text()).group(1))
    assert n in expected.values() and n > 0
    expect(page.get_by_text("Ouvrir le passage").first).to_be_visible()
    assert page.get_by_text("Traceback").count() == 0
    assert not [u for u in leaving if "127.0.0.1" not in u and "fonts.gstatic" not in u], leaving

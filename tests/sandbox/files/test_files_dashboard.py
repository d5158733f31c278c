"""The tester's dashboard shows their files: folders, the latest files with their size, and
a download link that works from the dashboard itself (no token)."""

from __future__ import annotations

import re

from sandbox.loader import load_population
from tests.support.api import Api
from tests.support.files import FakeFile, FakeHousehold, pdf, write_population


def test_the_dashboard_lists_folders_and_latest_files_with_working_links(sb, client, tmp_path):
    load_population(sb, write_population(tmp_path / "pop", [FakeHousehold("h1", [
        FakeFile("/Administratif/EDF/2024-01.pdf", pdf("jan") * 100),
        FakeFile("/Administratif/MAIF/avis.pdf", pdf("maif")),
        FakeFile("/Old/gone.pdf", pdf("gone"))])]))
    api = Api(client, sb.cli_token("h1", "io.cozy.files"))
    gone = api.get("/files/metadata", params={"Path": "/Old/gone.pdf"}).json()["data"]
    api.delete(f"/files/{gone['id']}")
    page = client.get("/", headers={"Host": "h1.localhost", "Accept-Language": "en"})
    assert page.status_code == 200
    html = page.text
    assert "<code>/Administratif/EDF</code> — 1 file, 2.1 KB" in html
    assert "/Administratif/MAIF" in html and "gone.pdf" not in html
    assert "2 files" in html and "1 in the trash" in html
    french = client.get("/", headers={"Host": "h1.localhost"}).text
    assert "<code>/Administratif/EDF</code> — 1 fichier, 2,1 Ko" in french
    assert "2 fichiers" in french and "1 dans la corbeille" in french
    links = re.findall(r'href="(/drive/download/[0-9a-f]+)">([^<]+)<', html)
    assert sorted(name for _, name in links) == ["2024-01.pdf", "avis.pdf"]
    for href, name in links:
        r = client.get(href, headers={"Host": "h1.localhost"})
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        assert r.content == (pdf("jan") * 100 if name == "2024-01.pdf" else pdf("maif"))
    # not from another instance's pages, not a folder, not a made-up id
    sb.instances.create("h2")
    href = links[0][0]
    assert client.get(href, headers={"Host": "h2.localhost"}).status_code == 404
    assert client.get("/drive/download/nope", headers={"Host": "h1.localhost"}).status_code == 404
    folder = api.get("/files/metadata", params={"Path": "/Administratif"}).json()["data"]["id"]
    assert client.get(f"/drive/download/{folder}",
                      headers={"Host": "h1.localhost"}).status_code == 404


def test_an_instance_without_files_says_so(sb, client):
    sb.instances.create("empty")
    page = client.get("/", headers={"Host": "empty.localhost", "Accept-Language": "en"})
    assert page.status_code == 200 and "No file yet" in page.text
    page = client.get("/", headers={"Host": "empty.localhost"})
    assert "Aucun fichier pour l’instant" in page.text

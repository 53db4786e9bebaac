"""Uploaded files are served by the app (demo, single machine) unless SERVE_MEDIA=0."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def test_an_uploaded_file_is_served_under_media(client):
    folder = Path(settings.MEDIA_ROOT) / "offers" / "test"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hello.txt").write_text("bonjour")
    response = client.get("/media/offers/test/hello.txt")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"bonjour"


def test_media_paths_cannot_escape_the_media_folder(client):
    for url in ("/media/../secret_key", "/media/%2e%2e/secret_key"):
        assert client.get(url).status_code in (400, 404)

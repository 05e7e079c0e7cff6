from tests.helpers import LaunchHelper


def test_each_persona_lands_on_its_home(client, launcher: LaunchHelper):
    for persona in ("parent", "teacher", "admin", "learner"):
        page = launcher.as_(client, persona)
        assert page.status_code == 200
        assert f'data-audience="{persona}"' in page.get_data(as_text=True)


def test_a_class_id_longer_than_its_column_is_kept_as_its_hash(client, launcher: LaunchHelper):
    long_id = "c" * 3000
    context = {"id": long_id, "label": "6A", "title": "Sixième A"}
    page = launcher.as_(client, "parent", context=context)
    assert page.status_code == 200
    with client.session_transaction() as session:
        assert session["who"]["class_id"].startswith("sha256:")
    assert client.get("/rendez-vous").status_code == 200

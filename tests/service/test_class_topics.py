"""The topics a teacher chose for the class are the ones its parents see in the help panel."""

from service.teachers.services import _upsert
from tests.conftest import https_client


def test_parents_see_the_topics_their_class_teacher_chose(app, client, launcher):
    home = launcher.as_(client, "parent")
    assert home.status_code == 200
    with client.session_transaction() as session:
        who = session["who"]
    with app.app_context():
        _upsert(who["platform_id"], who["class_id"], topics=["bourse", "parcoursup"])
    panel = client.get("/aide").get_data(as_text=True)
    assert 'href="/aide/bourse"' in panel and 'href="/aide/parcoursup"' in panel
    assert 'href="/aide/connect_ent"' not in panel

    other_class = https_client(app)
    launcher.as_(other_class, "parent", context={"id": "course-5b", "title": "5e B"})
    assert 'href="/aide/connect_ent"' in other_class.get("/aide").get_data(as_text=True)

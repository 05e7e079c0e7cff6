from tests.helpers import LaunchHelper


def test_each_persona_lands_on_its_home(client, launcher: LaunchHelper):
    for persona in ("parent", "teacher", "admin", "learner"):
        page = launcher.as_(client, persona)
        assert page.status_code == 200
        assert f'data-audience="{persona}"' in page.get_data(as_text=True)

"""What the fixtures do not show: the registry, the settings, and the helpers' edge cases."""

from __future__ import annotations

from dataclasses import replace

import pytest

from plugin import ADAPTERS, AdapterSettings, Audience, UnknownAdapter, get_adapter
from plugin.adapters._base import normalise_locale
from plugin.adapters.ent import sdet_profiles
from tests.plugin.launches import launch_from_json

M = "http://purl.imsglobal.org/vocab/lis/v2/membership#"


def _launch(roles: list[str], **fields: object) -> dict[str, object]:
    return {
        "issuer": "https://platform.test",
        "client_id": "c",
        "deployment_id": "d",
        "message_type": "LtiResourceLinkRequest",
        "version": "1.3.0",
        "target_link_uri": "https://relais.test/lti/launch",
        "sub": "u",
        "roles": roles,
        "nonce": "n",
        **fields,
    }


def test_registry_names_match_adapters() -> None:
    assert sorted(ADAPTERS) == ["ent", "generic", "moodle"]
    for name, adapter in ADAPTERS.items():
        assert adapter.name == name
        assert get_adapter(name) is adapter


@pytest.mark.parametrize("name", ["canvas", "", "Moodle "])
def test_unknown_adapter_is_a_coded_error(name: str) -> None:
    with pytest.raises(UnknownAdapter) as caught:
        get_adapter(name)
    assert caught.value.code == "adapter_unknown"
    assert caught.value.field == "adapter"


def test_audience_param_and_values_are_configurable() -> None:
    launch = launch_from_json(_launch([M + "Learner"], custom={"public": "familles"}))
    settings = AdapterSettings(audience_param="public", parent_values=frozenset({"Familles"}))

    assert get_adapter("moodle").to_context(launch, settings).audience is Audience.parent
    assert get_adapter("moodle").to_context(launch, AdapterSettings()).audience is Audience.learner


def test_admin_profiles_are_configurable() -> None:
    launch = launch_from_json(_launch([M + "Instructor"], custom={"profile": "National_ETA"}))
    ent = get_adapter("ent")
    more_admins = replace(
        AdapterSettings(), admin_profiles=AdapterSettings().admin_profiles | {"National_ETA"}
    )

    assert ent.to_context(launch, AdapterSettings()).audience is Audience.teacher  # LIS fallback
    assert ent.to_context(launch, more_admins).audience is Audience.admin


def test_moodle_ignores_mentor_roles_it_never_sends() -> None:
    launch = launch_from_json(_launch([M + "Mentor"], role_scope_mentor=["s-1"]))

    assert get_adapter("moodle").to_context(launch, AdapterSettings()).audience is Audience.learner
    assert get_adapter("generic").to_context(launch, AdapterSettings()).audience is Audience.parent


def test_sdet_profiles_reads_the_first_claim_that_has_one() -> None:
    launch = launch_from_json(
        _launch(
            [],
            custom={"PROFIL": "National_TUT | National_ENS"},
            extra_claims={"profile": ["National_DIR", 3]},
        )
    )
    assert sdet_profiles(launch, AdapterSettings()) == ("National_DIR",)
    settings = AdapterSettings(ent_profile_claims=("profil",))
    assert sdet_profiles(launch, settings) == ("National_TUT", "National_ENS")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("fr-FR", "fr"),
        ("FR", "fr"),
        ("pt_BR", "pt"),
        ("zh-Hant-TW", "zh"),
        (" ar ", "ar"),
        ("", ""),
        ("fra", ""),
        ("f", ""),
        ("12", ""),
        ("é-FR", ""),
    ],
)
def test_normalise_locale(raw: str, expected: str) -> None:
    assert normalise_locale(raw) == expected

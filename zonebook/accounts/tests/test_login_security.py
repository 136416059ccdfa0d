"""等保 level 3 login security: lockout, password policy, forced change, idle timeout, history, CSP, CSRF."""

import datetime as dt
import time

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from zonebook.accounts.models import LoginEvent
from zonebook.accounts.testing import PASSWORD, UserFactory
from zonebook.accounts.validators import CharacterClassValidator, NotUsernameValidator
from zonebook.audit.models import AuditEntry
from zonebook.core.middleware import SessionIdleTimeoutMiddleware

LOGIN = "/accounts/login/"


def _login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", scope_level="all", role="system_admin")


# --- lockout (django-axes: 5 failures -> 15 minutes, per user name) ---------------------------


def test_five_failures_lock_the_account_even_for_the_right_password(client, alice):
    for _ in range(4):
        assert _login(client, "alice", "wrong-Password-1").status_code == 200
    locked = _login(client, "alice", "wrong-Password-1")  # 5th failure reaches the limit
    assert locked.status_code == 429
    sixth = _login(client, "alice", PASSWORD)
    assert sixth.status_code == 429
    assert "_auth_user_id" not in client.session
    html = sixth.content.decode()
    assert "账号已锁定" in html and "15 分钟" in html
    last = AccessAttempt.objects.get(username="alice").attempt_time
    until = timezone.localtime(last + dt.timedelta(minutes=15)).strftime("%Y-%m-%d %H:%M")
    assert f"{until} 之后" in html
    assert LoginEvent.objects.filter(username="alice", kind=LoginEvent.Kind.LOCKED).exists()


def test_lock_is_per_user_name_not_global(client, alice):
    UserFactory(username="bob")
    for _ in range(5):
        _login(client, "alice", "nope-Nope-123")
    assert _login(client, "bob", PASSWORD).status_code == 302


def test_lock_is_per_user_name_and_address(alice):
    attacker, owner = Client(REMOTE_ADDR="198.51.100.66"), Client(REMOTE_ADDR="192.0.2.10")
    for _ in range(5):
        _login(attacker, "alice", "nope-Nope-123")
    assert _login(attacker, "alice", PASSWORD).status_code == 429
    # the owner, from another address, is not locked out by someone else's failures
    assert _login(owner, "alice", PASSWORD).status_code == 302


def test_many_failures_across_addresses_alert_the_administrators_once(alice, settings, mailoutbox):
    settings.LOGIN_ALERT_FAILURES = 8
    settings.ADMINS = [("sec", "security@example.gov.cn")]
    for i in range(12):  # 3 failures from each of 4 addresses: no address is locked (limit 5)
        _login(Client(REMOTE_ADDR=f"198.51.100.{i % 4 + 1}"), "alice", "nope-Nope-123")
    alerts = AuditEntry.objects.filter(code="accounts.login.attack_suspected")
    assert alerts.count() == 1
    alert = alerts.get()
    assert alert.object_id == str(alice.pk) and alert.changes["failures"][1] == 8
    assert len(alert.changes["addresses"][1]) == 4
    assert len(mailoutbox) == 1 and "alice" in mailoutbox[0].subject
    # the account itself is not locked: the owner logs in from a fresh address
    assert _login(Client(REMOTE_ADDR="192.0.2.10"), "alice", PASSWORD).status_code == 302


def test_login_works_again_after_the_cool_off(client, alice):
    for _ in range(5):
        _login(client, "alice", "nope-Nope-123")
    assert _login(client, "alice", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    response = _login(client, "alice", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_admin_unlock_lets_the_user_in_and_is_audited(client, alice):
    victim = UserFactory(username="victim")
    for _ in range(5):
        _login(client, "victim", "nope-Nope-123")
    assert _login(client, "victim", PASSWORD).status_code == 429

    admin_client = Client()
    admin_client.force_login(alice)
    listing = admin_client.get(reverse("accounts:user_list"))
    assert "解锁" in listing.content.decode()
    assert admin_client.post(reverse("accounts:user_unlock", args=[victim.pk])).status_code == 302
    assert AuditEntry.objects.filter(
        code="accounts.user.unlocked", object_id=str(victim.pk), actor=alice
    ).exists()
    assert _login(client, "victim", PASSWORD).status_code == 302


def test_lockout_message_is_shown_in_chinese_by_default(client, alice):
    for _ in range(6):
        response = _login(client, "alice", "nope-Nope-123")
    html = response.content.decode()
    assert "登录失败次数过多" in html


# --- password policy --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password, ok",
    [
        ("Short1!", False),  # too short
        ("alllowercaseletters", False),  # one class
        ("lowercase12345", False),  # two classes
        ("Lowercase12345", True),  # three classes
        ("Lower-case-pass", True),  # lower, upper, symbol
        ("Zonebook-Test-2026", True),
    ],
)
def test_password_policy(db, password, ok):
    user = UserFactory.build(username="carol")
    if ok:
        validate_password(password, user)
    else:
        with pytest.raises(ValidationError):
            validate_password(password, user)


def test_password_must_not_equal_the_user_name(db):
    user = UserFactory.build(username="Chengdu-Admin1")
    with pytest.raises(ValidationError) as exc:
        NotUsernameValidator().validate("chengdu-admin1", user)
    assert exc.value.code == "password_contains_username"
    NotUsernameValidator().validate("Other-Pass-2026", user)


@pytest.mark.parametrize("password", ["pwtest-2026-Aa", "2026-PWTEST-aa", "Aa-2026-PwTest"])
def test_password_containing_the_user_name_is_refused(db, password):
    user = UserFactory.build(username="pwtest")
    with pytest.raises(ValidationError) as exc:
        validate_password(password, user)
    assert "密码不能包含用户名" in " ".join(exc.value.messages)
    validate_password("Zonebook-Test-2026", user)
    # a very short user name does not forbid every password containing its letters
    NotUsernameValidator().validate("Bob-2026-Aa", UserFactory.build(username="bo"))


def test_character_class_counting():
    assert CharacterClassValidator.classes("abc") == 1
    assert CharacterClassValidator.classes("abcABC") == 2
    assert CharacterClassValidator.classes("abcABC1") == 3
    assert CharacterClassValidator.classes("aA1!") == 4
    with pytest.raises(ValidationError) as exc:
        CharacterClassValidator(3).validate("abcdefgh12")
    assert exc.value.code == "password_too_simple"


# --- forced change of the initial password ----------------------------------------------------


def test_initial_password_must_be_changed_first(client, db):
    user = UserFactory(username="newbie", must_change_password=True)
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_change")
    # the API is not redirected (token clients), the change page itself is reachable
    assert client.get(reverse("accounts:password_change")).status_code == 200


def test_changing_the_password_clears_the_flag_and_is_audited(client, db):
    user = UserFactory(username="newbie", must_change_password=True)
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Brand-New-Pass-77",
            "new_password2": "Brand-New-Pass-77",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.must_change_password is False
    assert user.check_password("Brand-New-Pass-77")
    entry = AuditEntry.objects.get(code="accounts.user.password_changed", object_id=str(user.pk))
    assert entry.actor == user
    assert entry.changes["must_change_password"] == [True, False]
    assert "password" not in entry.changes
    assert client.get("/").status_code == 200


def test_weak_new_password_is_refused_with_a_message(client, db):
    user = UserFactory(username="newbie", must_change_password=True)
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "newbie", "new_password2": "newbie"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    user.refresh_from_db()
    assert user.must_change_password is True
    assert not AuditEntry.objects.filter(code="accounts.user.password_changed").exists()


# --- session idle timeout ---------------------------------------------------------------------


def test_idle_session_is_logged_out(client, db, settings):
    user = UserFactory(username="sleepy")
    client.force_login(user)
    assert client.get("/").status_code == 200
    session = client.session
    session[SessionIdleTimeoutMiddleware.KEY] = int(time.time()) - settings.SESSION_IDLE_SECONDS - 5
    session.save()
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302


def test_active_session_stays(client, db, settings):
    user = UserFactory(username="busy")
    client.force_login(user)
    client.get("/")
    session = client.session
    session[SessionIdleTimeoutMiddleware.KEY] = int(time.time()) - settings.SESSION_IDLE_SECONDS + 60
    session.save()
    assert client.get("/").status_code == 200


# --- login history ----------------------------------------------------------------------------


def test_login_history_lists_success_failure_and_logout(client, world):
    user = world.users.zone
    _login(client, user.username, "wrong-Wrong-1")
    assert _login(client, user.username, PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))
    kinds = list(LoginEvent.objects.filter(user=user).order_by("id").values_list("kind", flat=True))
    assert kinds == ["failure", "success", "logout"]

    client.force_login(user)
    html = client.get(reverse("accounts:login_history")).content.decode()
    for label in ("登录失败", "登录", "退出"):
        assert label in html


def test_login_history_is_scoped(client, world):
    for u in (world.users.zone, world.users.other_zone, world.users.enterprise):
        LoginEvent.objects.create(user=u, username=u.username, kind=LoginEvent.Kind.SUCCESS)
    client.force_login(world.users.zone)
    page = client.get(reverse("accounts:login_history")).context["page"]
    names = {e.username for e in page}
    assert world.users.zone.username in names
    assert world.users.enterprise.username in names  # same zone
    assert world.users.other_zone.username not in names

    client.force_login(world.users.enterprise)
    names = {e.username for e in client.get(reverse("accounts:login_history")).context["page"]}
    assert names == {world.users.enterprise.username}


# --- headers and CSRF -------------------------------------------------------------------------


def test_csp_header_on_pages(client, world):
    response = client.get(LOGIN)
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    client.force_login(world.users.admin)
    assert "default-src 'self'" in client.get("/")["Content-Security-Policy"]


def test_post_without_csrf_token_is_refused_with_the_custom_page(db, alice):
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403
    assert "errors/403.html" in [t.name for t in response.templates]
    assert "_auth_user_id" not in csrf_client.session


# --- forced change of the initial password: the API is refused too ----------------------------


def test_api_refuses_a_session_that_must_change_its_password(client, world):
    user = world.users.admin
    user.must_change_password = True
    user.save(update_fields=["must_change_password"])
    client.force_login(user)
    enterprise = world.enterprises.a1
    for response in (
        client.get("/api/registry/enterprises/"),
        client.patch(
            f"/api/registry/enterprises/{enterprise.pk}/", {"address": "改了"}, content_type="application/json"
        ),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "password_change_required"
        assert response.json()["detail"]
    enterprise.refresh_from_db()
    assert enterprise.address != "改了"
    # the docs page is a page: redirected to the change form
    assert client.get("/api/docs/")["Location"] == reverse("accounts:password_change")

    user.must_change_password = False
    user.save(update_fields=["must_change_password"])
    assert client.get("/api/registry/enterprises/").status_code == 200


def test_api_token_clients_are_not_affected_by_the_forced_change(db, world):
    from rest_framework.authtoken.models import Token

    user = world.users.admin
    user.must_change_password = True
    user.save(update_fields=["must_change_password"])
    token = Token.objects.create(user=user)
    response = Client().get("/api/registry/enterprises/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200


def test_generated_passwords_never_contain_the_user_name(monkeypatch):
    from zonebook.accounts import services

    # the first password drawn is "aA1!abcabcabca" (contains the user name "ABC"); the next one is not
    planned = iter("aA1!abcabcabca")
    monkeypatch.setattr(services.secrets, "choice", lambda seq: next(planned, seq[0]))
    monkeypatch.setattr(services.secrets.SystemRandom, "shuffle", lambda self, chars: None)
    assert services.generate_password(avoid="ABC") == "aA0!aaaaaaaaaa"
    planned = iter("aA1!abcabcabca")
    assert services.generate_password() == "aA1!abcabcabca"

"""The web pages' forms (Flask-WTF, so each carries its CSRF token).

Forms only check what a browser can get wrong on its own (a missing field, passwords that differ);
the services own every domain rule and report problems as ``TalkError.fields``, which
:func:`add_service_errors` places next to the matching fields.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in 3.3
from wtforms.validators import DataRequired, EqualTo, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from talk.errors import TalkError
from talk.limits import MAX_ID

REQUIRED = "This field is required."


def no_nul(form: FlaskForm, field: StringField) -> None:
    """Refuse NUL bytes in text that is looked up in the database (PostgreSQL cannot hold them)."""
    if "\x00" in (field.data or ""):
        raise ValidationError("Contains a NUL byte.")


class WholeNumberField(IntegerField):
    """An ``IntegerField`` taking the digits 0–9 only: WTForms reads text with ``int()``, which
    also takes other scripts' digits (``٣``), spaces, a sign and underscores."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist and valuelist[0] and not (valuelist[0].isascii() and valuelist[0].isdigit()):
            self.data = None
            raise ValueError("Must be a whole number written with the digits 0–9.")
        super().process_formdata(valuelist)


class RegisterForm(FlaskForm):
    username = StringField(
        "Username",
        validators=[DataRequired(REQUIRED)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    display_name = StringField(
        "Display name (optional)",
        validators=[Optional()],
        render_kw={"autocomplete": "nickname"},
    )
    email = EmailField(
        "Email address", validators=[DataRequired(REQUIRED)], render_kw={"autocomplete": "email"}
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(REQUIRED)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[
            DataRequired(REQUIRED),
            EqualTo("password", "The two passwords are not the same."),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class LoginForm(FlaskForm):
    login = StringField(
        "Username or email address",
        validators=[DataRequired(REQUIRED), no_nul],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(REQUIRED)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Remember me on this device")


class ConfirmForm(FlaskForm):
    """A button confirming what an emailed link asks (a GET only shows it: link scanners that
    open links must not confirm anything)."""


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[DataRequired(REQUIRED), no_nul],
        render_kw={"autocomplete": "email"},
    )


class NewPasswordForm(FlaskForm):
    new_password = PasswordField(
        "New password",
        validators=[DataRequired(REQUIRED)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[
            DataRequired(REQUIRED),
            EqualTo("new_password", "The two passwords are not the same."),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired(REQUIRED)],
        render_kw={"autocomplete": "current-password"},
    )


class ProfileForm(FlaskForm):
    display_name = StringField(
        "Display name", validators=[no_nul], render_kw={"autocomplete": "nickname"}
    )
    time_zone = StringField(
        "Time zone",
        validators=[DataRequired(REQUIRED), no_nul],
        render_kw={"list": "time-zones", "autocomplete": "off", "spellcheck": "false"},
    )


class ChangeEmailForm(FlaskForm):
    email = EmailField(
        "New email address",
        validators=[DataRequired(REQUIRED), no_nul],
        render_kw={"autocomplete": "email"},
    )
    password = PasswordField(
        "Current password",
        validators=[DataRequired(REQUIRED)],
        render_kw={"autocomplete": "current-password"},
    )


EXPIRY_CHOICES = ((7, "In 7 days"), (30, "In 30 days"), (90, "In 90 days"), (365, "In a year"))


class TokenForm(FlaskForm):
    """Make an API token on the settings page (the services check the project and expiry)."""

    name = StringField("What is it for? (optional)", validators=[no_nul])
    project = StringField(
        "Only for the project (optional)",
        validators=[no_nul],
        render_kw={"autocapitalize": "none", "spellcheck": "false"},
    )
    expires_days = SelectField(
        "Stops working",
        choices=[
            SelectChoice("", "Never"),
            *(SelectChoice(str(days), label) for days, label in EXPIRY_CHOICES),
        ],
        default="90",
    )


class DiscussionForm(FlaskForm):
    """Start a discussion: its title and first comment."""

    title = StringField("Title", validators=[DataRequired(REQUIRED)])
    body = TextAreaField("Your comment", validators=[DataRequired(REQUIRED)])


class CommentForm(FlaskForm):
    """Reply in a discussion, optionally answering one earlier comment."""

    body = TextAreaField("Your reply", validators=[DataRequired(REQUIRED)])
    reply_to = WholeNumberField(
        "Comment answered",
        widget=HiddenInput(),
        validators=[Optional(), NumberRange(1, MAX_ID, "Not a comment in this discussion.")],
    )


class EditCommentForm(FlaskForm):
    body = TextAreaField("Comment", validators=[DataRequired(REQUIRED)])


class ModeratorEditForm(EditCommentForm):
    """A moderator's edit of someone's comment: the note is shown under it."""

    note = StringField(
        "Note shown under the comment",
        validators=[DataRequired(REQUIRED), no_nul],
        render_kw={"maxlength": 500},
    )


class CurateForm(FlaskForm):
    """Add a tag to the curated vocabulary."""

    name = StringField("Tag", validators=[DataRequired(REQUIRED), no_nul])
    description = TextAreaField("Description (optional)")
    authority_uri = StringField(
        "Authority link (optional)",
        render_kw={"inputmode": "url", "spellcheck": "false", "autocapitalize": "none"},
    )
    synonyms = StringField("Synonyms (optional)", validators=[no_nul])


class TagEditForm(FlaskForm):
    """A curated tag's description and authority link."""

    description = TextAreaField("Description")
    authority_uri = StringField(
        "Authority link",
        render_kw={"inputmode": "url", "spellcheck": "false", "autocapitalize": "none"},
    )


class SynonymForm(FlaskForm):
    synonym = StringField("Synonym", validators=[DataRequired(REQUIRED), no_nul])


class RenameForm(FlaskForm):
    new_name = StringField("New name", validators=[DataRequired(REQUIRED), no_nul])


class MergeForm(FlaskForm):
    into = StringField("Merge into the tag", validators=[DataRequired(REQUIRED), no_nul])


class VerdictForm(FlaskForm):
    """An expert's verdict on one tag of an item (the button pressed says which)."""

    tag = StringField("Tag", validators=[DataRequired(REQUIRED), no_nul])
    note = StringField("Note (optional)", validators=[no_nul])


class TagGroupForm(FlaskForm):
    """A group's title, description and query; the services check the rest."""

    title = StringField("Title", validators=[DataRequired(REQUIRED)])
    description = TextAreaField("Description (optional)", validators=[Optional()])
    query = StringField(
        "Tag query",
        validators=[DataRequired(REQUIRED)],
        render_kw={"autocapitalize": "none", "autocomplete": "off", "spellcheck": "false"},
    )
    verified_only = BooleanField("Only where an expert verified the tags")


def add_service_errors(form: FlaskForm, error: TalkError) -> list[str]:
    """Attach ``error.fields`` to the form's visible fields; returns the messages that fit none
    (to show above the form)."""
    unplaced: list[str] = []
    for name, messages in error.fields.items():
        field = form._fields.get(name)
        if field is None or getattr(field.widget, "input_type", None) == "hidden":
            unplaced.extend(messages)
        else:
            field.errors = [*field.errors, *messages]
    return unplaced

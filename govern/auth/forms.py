"""Forms for signing in, the second factor, and passwords."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from govern.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

NEW_PASSWORD_HINT = (
    f"At least {MIN_PASSWORD_LENGTH} characters, and hard to guess: a few unrelated words work well. "
    "Avoid your name and common passwords."
)


class LoginForm(FlaskForm):
    """Fields are named ``email`` and ``password``."""

    email = EmailField(
        "Email address", validators=[DataRequired("Enter your email address"), Length(max=254)]
    )
    password = PasswordField("Password", validators=[DataRequired("Enter your password"), Length(max=500)])


class CodeForm(FlaskForm):
    """A code from the authenticator app, or a recovery code."""

    code = StringField(
        "Code",
        description="The 6-digit code your authenticator app shows now, or one of your recovery codes.",
        validators=[DataRequired("Enter the code from your authenticator app"), Length(max=20)],
    )
    remember = BooleanField("Do not ask for a code on this device for 30 days")


class SetUpCodeForm(FlaskForm):
    """Proving a newly added authenticator app works."""

    code = StringField(
        "Code from your app",
        description="The 6-digit code your authenticator app shows for Govern.",
        validators=[DataRequired("Enter the 6-digit code from your authenticator app"), Length(max=20)],
    )


class ConfirmCodeForm(FlaskForm):
    """A current code, to confirm a change to the second factor."""

    code = StringField(
        "Code from your app",
        validators=[DataRequired("Enter the 6-digit code from your authenticator app"), Length(max=20)],
    )


class NewPasswordForm(FlaskForm):
    """Choosing a password: through an invitation or reset link."""

    new_password = PasswordField(
        "New password", description=NEW_PASSWORD_HINT,
        validators=[DataRequired("Enter a new password"), Length(max=MAX_PASSWORD_LENGTH)],
    )
    confirm_password = PasswordField(
        "Type the new password again",
        validators=[DataRequired("Type the new password again"),
                    EqualTo("new_password", "The two passwords do not match")],
    )


class ChangePasswordForm(NewPasswordForm):
    """Changing one's own password: the current one first."""

    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password"), Length(max=500)]
    )


class ForgotPasswordForm(FlaskForm):
    """Asking for a reset link."""

    email = EmailField(
        "Email address", validators=[DataRequired("Enter your email address"), Length(max=254)]
    )

"""Forms of the impact pages: a new instrument, a question, an upload, a month. They parse; the
actions decide what is allowed. The answers form is built from the version's questions in the
template and checked by `impact.answers`, the one set of rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tandir.impact.models import Anchor, Instrument, InstrumentKind, QuestionType

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class InstrumentForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=InstrumentKind.choices)
    anchor = forms.ChoiceField(
        label=_("Counted from"), choices=[("", "—"), *Anchor.choices], required=False
    )
    months_after = forms.IntegerField(
        label=_("Months after"), min_value=1, max_value=120, required=False
    )


class QuestionForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=60)
    type = forms.ChoiceField(label=_("Type"), choices=QuestionType.choices)
    label = forms.CharField(label=_("Question"), max_length=300)
    required = forms.BooleanField(label=_("Required"), required=False)
    min_value = forms.CharField(label=_("Lowest"), required=False)
    max_value = forms.CharField(label=_("Highest"), required=False)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One a line: name = label"),
    )


class UploadForm(forms.Form):
    instrument = forms.ModelChoiceField(label=_("Instrument"), queryset=Instrument.objects.none())
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV, XLSX or a KoboToolbox JSON export"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.json"}),
    )

    def __init__(self, *args: Any, instruments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["instrument"]
        field.queryset = instruments


class MonthForm(forms.Form):
    month = forms.CharField(
        label=_("Month"), required=False, widget=forms.TextInput(attrs={"type": "month"})
    )


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Name, ID number or phone"), max_length=100, required=False)

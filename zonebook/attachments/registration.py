"""What attachments add to the platform (core.modules): the demo's attached files."""

from zonebook.core.modules import AppModule

MODULE = AppModule(app="zonebook.attachments", demo="zonebook.attachments.demo.load", demo_order=90)

"""chibot: the channel-free core (models, services, flows, render, i18n) and composition root."""

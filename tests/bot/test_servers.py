"""Which collection a request reads: home servers the config's, other servers their own, DMs as configured."""

import pytest

from bot.config import Config
from bot.servers import DM_REFUSED, is_home, tenant_for
from retrieval.errors import CitebotError
from retrieval.tenants import Tenant


def test_home_servers_other_servers_and_direct_messages():
    config = Config()
    config.discord.guild_ids = [1]
    assert tenant_for(config, 1) == Tenant(None) and is_home(config, 1)
    assert tenant_for(config, 2) == Tenant(2, include_config=True) and not is_home(config, 2)
    assert tenant_for(config, None) == Tenant(None)  # a DM: the config collection by default
    config.servers.home_guild_ids = [3]  # home servers named apart from where commands are synced
    assert tenant_for(config, 1) == Tenant(1) and tenant_for(config, 3) == Tenant(None)
    config.servers.share_config_articles = False
    config.servers.dm_guild_id = 2
    assert tenant_for(config, 2) == Tenant(2, include_config=False) == tenant_for(config, None)
    config.servers.answer_dms = False
    with pytest.raises(CitebotError) as refused:
        tenant_for(config, None)
    assert str(refused.value) == DM_REFUSED and not is_home(config, None)

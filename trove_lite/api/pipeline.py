"""Pick the /v1.0 pipeline that ``[DEFAULT] auth_strategy`` names.

api-paste.ini lists one pipeline per strategy (``keystone``, ``noauth``)
in a single composite, the way Cinder and Ironic do; this factory builds
the chosen one.
"""

from oslo_config import cfg


def pipeline_factory(loader, global_conf, **local_conf):
    strategy = cfg.CONF.auth_strategy
    if strategy not in local_conf:
        raise ValueError('api-paste.ini has no pipeline for auth_strategy '
                         '%r' % strategy)
    names = local_conf[strategy].split()
    app = loader.get_app(names[-1])
    for name in reversed(names[:-1]):
        app = loader.get_filter(name)(app)
    return app

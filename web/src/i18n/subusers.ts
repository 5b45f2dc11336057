/** Subusers (子账号, SPEC §2): proxy credentials, caps per product and usage. */
type Shape<T> = { [K in keyof T]: T[K] extends string ? string : Shape<T[K]> };

const en = {
  subusers: {
    title: 'Subusers',
    intro:
      'Subusers split your account’s traffic among teams: each has its own proxy username and password and an optional cap per product. Traffic comes from the account’s shared pool.',
    name: 'Name',
    username: 'Username',
    password: 'Password',
    status: 'Status',
    usage: '{{product}} used / cap',
    noCap: 'no cap',
    main: 'Main',
    limited: 'Limited',
    create: 'Create subuser',
    edit: 'Edit',
    save: 'Save',
    cancel: 'Cancel',
    capGb: '{{product}} cap (GB)',
    capHint: 'Empty: no cap',
    capInvalid: 'A number of GB from 0 to 1,000,000 with at most three decimals',
    usernameHint: '3–32 lower-case letters, digits, _ or -; empty: generated',
    usernameInvalid: '3–32 characters: a–z, 0–9, _ or -',
    passwordHint: '8–64 characters; empty: generated',
    passwordInvalid: '8–64 characters: letters, digits and . _ ~ -',
    created: 'Subuser {{username}} created.',
    saved: 'Saved.',
    statuses: { active: 'Active', disabled: 'Disabled' },
    editTitle: 'Edit {{username}}',
    createTitle: 'Create a subuser',
  },
};

const zhCN: Shape<typeof en> = {
  subusers: {
    title: '子账号',
    intro:
      '子账号用于在团队之间分配账户流量：每个子账号有自己的代理用户名和密码，并可按产品设置用量上限。流量来自账户的共享流量池。',
    name: '名称',
    username: '用户名',
    password: '密码',
    status: '状态',
    usage: '{{product}} 已用 / 上限',
    noCap: '不限',
    main: '主账号',
    limited: '已达上限',
    create: '创建子账号',
    edit: '编辑',
    save: '保存',
    cancel: '取消',
    capGb: '{{product}} 上限（GB）',
    capHint: '留空：不限',
    capInvalid: '0 至 1,000,000 GB，最多三位小数',
    usernameHint: '3–32 位小写字母、数字、_ 或 -；留空自动生成',
    usernameInvalid: '3–32 位：a–z、0–9、_ 或 -',
    passwordHint: '8–64 位；留空自动生成',
    passwordInvalid: '8–64 位：字母、数字及 . _ ~ -',
    created: '子账号 {{username}} 已创建。',
    saved: '已保存。',
    statuses: { active: '启用', disabled: '停用' },
    editTitle: '编辑 {{username}}',
    createTitle: '创建子账号',
  },
};

export const subusers = { en, zhCN };

